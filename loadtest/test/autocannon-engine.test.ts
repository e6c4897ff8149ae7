import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Endpoint } from "../../lib/workload/access-pattern.js";
import { runAutocannon } from "../src/engines/autocannon.js";
import type { Profile } from "../src/workload/profiles.js";
import { resolveThresholds } from "../src/workload/thresholds.js";

/**
 * A stand-in for the service on a free loopback port that answers the contract's bodies,
 * counts what it served per endpoint, and can delay, hang or break one endpoint: enough to
 * show that latencies and failures land on the right tag.
 */
interface StubOptions {
  delayMs?: Partial<Record<Endpoint, number>>;
  hang?: Endpoint[];
  status?: Partial<Record<Endpoint, number>>;
  wrongUri?: Endpoint[];
}

interface Stub {
  url: string;
  served: Record<Endpoint, number>;
  close(): Promise<void>;
}

function endpointOf(url: URL): { endpoint: Endpoint; uri?: string } | undefined {
  const p = url.pathname;
  if (p === "/mcp/resources/sdlc/core") return { endpoint: "sdlc_core", uri: "sdlc://core" };
  if (p === "/mcp/resources/templates") return { endpoint: "template_listing" };
  let m = /^\/mcp\/resources\/patterns\/([a-z-]+)$/.exec(p);
  if (m)
    return {
      endpoint: "pattern",
      uri: `sdlc://patterns/${url.searchParams.get("language") ?? "python"}/${m[1]}`,
    };
  m = /^\/mcp\/resources\/templates\/([a-z-]+)$/.exec(p);
  if (m) return { endpoint: "template", uri: `sdlc://templates/${m[1]}` };
  return undefined;
}

const stubs: Stub[] = [];

async function startStub(opts: StubOptions = {}): Promise<Stub> {
  const served: Record<Endpoint, number> = {
    sdlc_core: 0,
    pattern: 0,
    template: 0,
    template_listing: 0,
    mcp_read: 0,
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = endpointOf(url);
    if (!route) {
      res.writeHead(url.pathname === "/readyz" ? 200 : 404, { "content-type": "application/json" });
      res.end('{"status":"ready"}');
      return;
    }
    if (opts.hang?.includes(route.endpoint)) return; // never answers
    const answer = () => {
      served[route.endpoint]++;
      const status = opts.status?.[route.endpoint] ?? 200;
      const uri = opts.wrongUri?.includes(route.endpoint) ? "sdlc://elsewhere" : route.uri;
      const body =
        route.endpoint === "template_listing"
          ? { resources: [{ uri: "sdlc://templates/prd", name: "prd", mimeType: "text/markdown", size: 10 }] }
          : { contents: [{ uri, mimeType: "text/markdown", text: "# body\n".repeat(50) }] };
      res.writeHead(status, {
        "content-type": "application/json",
        "x-cache": served[route.endpoint] === 1 ? "MISS" : "HIT",
      });
      res.end(JSON.stringify(body));
    };
    const delay = opts.delayMs?.[route.endpoint] ?? 0;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const stub: Stub = {
    url: `http://127.0.0.1:${port}`,
    served,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  stubs.push(stub);
  return stub;
}

afterEach(async () => {
  while (stubs.length > 0) await stubs.pop()?.close();
});

const small: Profile = { name: "quick", users: 6, spawnRate: 3, durationSeconds: 2.5, purpose: "test" };

describe("autocannon engine", () => {
  it("records every response's latency under its own endpoint and resource_type", async () => {
    const stub = await startStub({ delayMs: { template_listing: 40 } });
    const summary = await runAutocannon({
      baseUrl: stub.url,
      profile: small,
      durationSeconds: 2.5,
      thresholds: resolveThresholds(small, "all"),
      testId: "t",
      seed: 1,
    });
    expect(summary.engine).toBe("autocannon");
    expect(summary.overall.failures).toBe(0);
    expect(summary.failureReasons).toEqual({});
    // Only the delayed endpoint is slow: the tags are exact, not averaged.
    expect(summary.byEndpoint.template_listing.p50).toBeGreaterThanOrEqual(40);
    expect(summary.byEndpoint.template_listing.min).toBeGreaterThanOrEqual(39);
    expect(summary.byEndpoint.sdlc_core.p50).toBeLessThan(35);
    expect(summary.byEndpoint.pattern.p50).toBeLessThan(35);
    // Counts add up, and match what the server served (minus at most one in flight per connection).
    const endpoints = Object.values(summary.byEndpoint);
    expect(endpoints.reduce((n, s) => n + s.requests, 0)).toBe(summary.overall.requests);
    expect(summary.byResourceType.templates.requests).toBe(
      summary.byEndpoint.template.requests + summary.byEndpoint.template_listing.requests,
    );
    for (const [endpoint, served] of Object.entries(stub.served)) {
      const counted = summary.byEndpoint[endpoint as Endpoint].requests;
      expect(served - counted, endpoint).toBeGreaterThanOrEqual(0);
      expect(served - counted, endpoint).toBeLessThanOrEqual(small.users);
    }
    expect(summary.overall.requests).toBeGreaterThan(100);
    expect(summary.byCacheResult?.hit?.requests).toBeGreaterThan(0);
    expect(summary.byCacheResult?.miss?.requests).toBeGreaterThan(0);
    expect(summary.timeline?.length).toBe(2);
    expect(summary.durationSeconds).toBeLessThanOrEqual(2.6);
  });

  it("counts failed status and body checks as failures, per tag, with reasons", async () => {
    const stub = await startStub({ status: { pattern: 500 }, wrongUri: ["template"] });
    const summary = await runAutocannon({
      baseUrl: stub.url,
      profile: small,
      durationSeconds: 1.5,
      thresholds: resolveThresholds(small, "ci"),
      testId: "t",
      seed: 2,
    });
    expect(summary.byResourceType.patterns.failures).toBe(summary.byResourceType.patterns.requests);
    expect(summary.byEndpoint.template.failures).toBe(summary.byEndpoint.template.requests);
    expect(summary.byEndpoint.template_listing.failures).toBe(0);
    expect(summary.byResourceType.sdlc.failures).toBe(0);
    expect(summary.failureReasons["status 500"]).toBe(summary.byResourceType.patterns.requests);
    expect(summary.failureReasons["body: contents[0].uri mismatch"]).toBe(
      summary.byEndpoint.template.requests,
    );
    expect(summary.passed).toBe(false);
    expect(summary.thresholds.find((t) => t.stat === "failureRate")).toMatchObject({
      ok: false,
      gating: true,
    });
  });

  it("counts a request that gets no answer as a timeout failure of its own endpoint", async () => {
    const stub = await startStub({ hang: ["template_listing"] });
    const summary = await runAutocannon({
      baseUrl: stub.url,
      profile: { ...small, users: 3, spawnRate: 3 },
      durationSeconds: 2.5,
      thresholds: resolveThresholds(small, "all"),
      testId: "t",
      seed: 3,
      timeoutSeconds: 1,
    });
    expect(summary.failureReasons.timeout).toBeGreaterThan(0);
    expect(summary.byEndpoint.template_listing.failures).toBe(summary.failureReasons.timeout);
    expect(summary.byEndpoint.sdlc_core.failures).toBe(0);
    expect(summary.byEndpoint.pattern.failures).toBe(0);
    expect(summary.passed).toBe(false);
  });

  it("refuses any target that is not this machine", async () => {
    await expect(
      runAutocannon({
        baseUrl: "http://192.168.1.10:8000",
        profile: small,
        durationSeconds: 1,
        thresholds: [],
        testId: "t",
      }),
    ).rejects.toThrow(/refusing to load-test 192\.168\.1\.10/);
  });
});
