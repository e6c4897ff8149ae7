import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpReadResourceRequest } from "../../lib/contract/mcp.js";
import { checkResponse } from "../../lib/workload/checks.js";
import { asMcpRead, pickRequest, planRequest, seededRandom } from "../../lib/workload/plan.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";
import { runAutocannon } from "../src/engines/autocannon.js";
import { getProfile } from "../src/workload/profiles.js";

describe("the MCP scenario in the workload", () => {
  it("sends exactly what the service's wire description says", () => {
    const rest = planRequest("template", seededRandom(7));
    const mcp = asMcpRead(rest);
    const uri = rest.expect.kind === "resource" ? rest.expect.uri : "";
    const wire = mcpReadResourceRequest(uri, 1);
    expect(mcp).toMatchObject({
      endpoint: "mcp_read",
      resourceType: "templates",
      method: "POST",
      path: wire.path,
    });
    expect(mcp.body).toBe(wire.body);
    expect(mcp.headers).toEqual(wire.headers);
  });

  it("mixes MCP reads in by share, never for the listing", () => {
    const random = seededRandom(1);
    const picks = Array.from({ length: 4000 }, () => pickRequest(random, 0.25));
    const resourceReads = picks.filter((p) => p.endpoint !== "template_listing");
    const share = resourceReads.filter((p) => p.endpoint === "mcp_read").length / resourceReads.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
    expect(picks.some((p) => p.endpoint === "template_listing")).toBe(true);
    expect(pickRequest(seededRandom(1), 0).endpoint).not.toBe("mcp_read");
  });

  it("checks JSON-RPC answers", () => {
    const ok = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      result: { contents: [{ uri: "sdlc://core", mimeType: "text/markdown", text: "# x" }] },
    });
    expect(checkResponse({ kind: "mcp", uri: "sdlc://core" }, 200, ok)).toBeUndefined();
    const error = JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code: -32602, message: "nope" } });
    expect(checkResponse({ kind: "mcp", uri: "sdlc://core" }, 200, error)).toBe("mcp error -32602");
    expect(checkResponse({ kind: "mcp", uri: "sdlc://other" }, 200, ok)).toBe(
      "body: contents[0].uri mismatch",
    );
  });
});

describe("the MCP scenario against the real service", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "silent" });
  });
  afterAll(async () => {
    await t.close();
  });

  it("reads resources over POST /mcp through the same cache and metrics", async () => {
    const summary = await runAutocannon({
      baseUrl: t.url,
      profile: { ...getProfile("quick"), users: 4, spawnRate: 4 },
      durationSeconds: 2,
      thresholds: [],
      testId: "mcp-scenario",
      seed: 3,
      mcpShare: 0.5,
    });
    expect(summary.byEndpoint.mcp_read.requests).toBeGreaterThan(10);
    expect(summary.byEndpoint.mcp_read.failures).toBe(0);
    expect(summary.overall.failures).toBe(0);
    const exposition = await scrape(t.url);
    // The server saw every recorded MCP read, plus at most one in flight per connection when
    // the run stopped (sent, answered after autocannon stopped recording).
    const served = sampleValue(exposition, "http_request_duration_seconds_count", {
      route: "/mcp",
      status_code: "200",
    });
    expect(served).toBeGreaterThanOrEqual(summary.byEndpoint.mcp_read.requests);
    expect(served).toBeLessThanOrEqual(summary.byEndpoint.mcp_read.requests + 4);
    expect(sampleValue(exposition, "mcp_resource_cache_hits_total")).toBeGreaterThan(0);
  }, 30_000);
});
