import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MCP_PATH, MCP_REQUEST_HEADERS } from "../../lib/contract/mcp.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");

interface RpcAnswer {
  id: number;
  result?: { contents: Array<{ text: string }> };
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** POSTs a JSON-RPC batch of resources/read and returns the answers and the response size. */
async function readBatch(t: TestService, uris: string[]): Promise<{ answers: RpcAnswer[]; bytes: number }> {
  const response = await fetch(`${t.url}${MCP_PATH}`, {
    method: "POST",
    headers: MCP_REQUEST_HEADERS,
    body: JSON.stringify(
      uris.map((uri, id) => ({ jsonrpc: "2.0", id, method: "resources/read", params: { uri } })),
    ),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { answers: JSON.parse(text) as RpcAnswer[], bytes: Buffer.byteLength(text) };
}

/** Every resource URI shipped, the largest (the SDLC core, the python patterns) first. */
async function shippedUris(): Promise<string[]> {
  const uris = ["sdlc://core"];
  for (const language of await readdir(`${CONTENT}/patterns`)) {
    for (const file of await readdir(`${CONTENT}/patterns/${language}`)) {
      uris.push(`sdlc://patterns/${language}/${file.replace(/\.md$/, "")}`);
    }
  }
  for (const file of await readdir(`${CONTENT}/templates`))
    uris.push(`sdlc://templates/${file.replace(/\.md$/, "")}`);
  return uris;
}

describe("the work one MCP request can cause is bounded", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "silent" });
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers a 100-read batch within the read and byte bounds, the rest with a clear error", async () => {
    // The probe's amplification: a ~10 KB request for 100 copies of the largest resource.
    const { answers, bytes } = await readBatch(
      t,
      Array.from({ length: 100 }, () => "sdlc://core"),
    );
    expect(answers).toHaveLength(100);
    const served = answers.filter((a) => a.result);
    const refused = answers.filter((a) => a.error);
    expect(served.length).toBeGreaterThan(0);
    expect(served.length).toBeLessThanOrEqual(32);
    expect(bytes, `a ${bytes}-byte response`).toBeLessThan(1024 * 1024 + 100 * 300);
    for (const answer of refused) {
      expect(answer.error?.code).toBe(-32029);
      expect(answer.error?.message).toMatch(/MCP_MAX_BATCH_READS|MCP_MAX_RESPONSE_BYTES/);
    }
    const exposition = await scrape(t.url);
    expect(
      sampleValue(exposition, "mcp_resource_mcp_limited_total", { limit: "batch_reads" }) +
        sampleValue(exposition, "mcp_resource_mcp_limited_total", { limit: "response_bytes" }),
    ).toBe(refused.length);
  });

  it("still reads every shipped resource in one batch", async () => {
    const uris = await shippedUris();
    const { answers } = await readBatch(t, uris);
    expect(answers.filter((a) => a.error)).toEqual([]);
  });
});

describe("MCP_MAX_RESPONSE_BYTES", () => {
  it("stops a batch at the byte bound, naming it", async () => {
    const t = await startTestService({ LOG_LEVEL: "silent", MCP_MAX_RESPONSE_BYTES: "150000" });
    try {
      const { answers, bytes } = await readBatch(
        t,
        Array.from({ length: 10 }, () => "sdlc://core"),
      );
      // The core's body is about 53 KB: two fit, the third would not.
      expect(answers.filter((a) => a.result)).toHaveLength(2);
      const refused = answers.filter((a) => a.error);
      expect(refused).toHaveLength(8);
      expect(refused[0]?.error).toMatchObject({
        code: -32029,
        data: { limit: "response_bytes", max: 150_000 },
      });
      expect(bytes).toBeLessThan(150_000 + 10 * 400);
    } finally {
      await t.close();
    }
  });
});

describe("overload protection", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({
      LOG_LEVEL: "info",
      FAULTS_ENABLED: "true",
      MAX_INFLIGHT_REQUESTS: "4",
      MCP_MAX_INFLIGHT: "2",
    });
    // Every cache miss now takes half a second: requests pile up.
    await fetch(`${t.url}/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fileReadDelayMs: 500 }),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers requests beyond MAX_INFLIGHT_REQUESTS with 503 and Retry-After, and stays observable", async () => {
    const templates = (await readdir(`${CONTENT}/templates`)).map((f) => f.replace(/\.md$/, "")).slice(0, 10);
    const pending = templates.map((name) => fetch(`${t.url}/mcp/resources/templates/${name}`));
    await new Promise((r) => setTimeout(r, 100));
    // While saturated, health and metrics still answer.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const during = await scrape(t.url);
    expect(sampleValue(during, "mcp_resource_inflight_requests")).toBe(4);
    const responses = await Promise.all(pending);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503, 503, 503]);
    const rejected = responses.find((r) => r.status === 503);
    expect(rejected?.headers.get("retry-after")).toBe("1");
    expect(rejected?.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(await rejected?.json()).toMatchObject({ status: 503, type: "/problems/overloaded" });
    const after = await scrape(t.url);
    expect(sampleValue(after, "mcp_resource_overload_rejections_total", { scope: "service" })).toBe(6);
    expect(sampleValue(after, "mcp_resource_inflight_requests")).toBe(0);
    // One warning for the burst, not an error line per refused request.
    expect(
      t.logs.filter((line) => line.level === "warn" && /overloaded/.test(String(line.msg))),
    ).toHaveLength(1);
    expect(t.logs.filter((line) => line.level === "error")).toEqual([]);
    // Rejections count on their route, so error ratios and SLOs see them.
    expect(
      sampleValue(after, "http_request_duration_seconds_count", {
        route: "/mcp/resources/templates/:artifact_type",
        status_code: "503",
      }),
    ).toBe(6);
  });

  it("bounds concurrent MCP requests separately (MCP_MAX_INFLIGHT)", async () => {
    await fetch(`${t.url}/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fileReadDelayMs: 500 }),
    });
    const uris = ["go/core", "go/errors", "go/testing", "go/tooling"].map((p) => `sdlc://patterns/${p}`);
    const responses = await Promise.all(
      uris.map((uri) =>
        fetch(`${t.url}${MCP_PATH}`, {
          method: "POST",
          headers: MCP_REQUEST_HEADERS,
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri } }),
        }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 503, 503]);
    const rejected = responses.find((r) => r.status === 503);
    expect(rejected?.headers.get("retry-after")).toBe("1");
    expect(await rejected?.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32029 }, id: null });
    expect(sampleValue(await scrape(t.url), "mcp_resource_overload_rejections_total", { scope: "mcp" })).toBe(
      2,
    );
  });
});
