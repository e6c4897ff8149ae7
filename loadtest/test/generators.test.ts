/**
 * The external load generators against a recording node:http server on a free loopback
 * port, run as perf:compare runs them (real wrk and vegeta binaries): the mix they send is the
 * workload's, failures are counted, and vegeta keeps its arrival rate whatever the server does.
 * No speed is asserted here; the benchmark measures that.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ACCESS_PATTERN } from "../../lib/workload/access-pattern.js";
import { pickRequest, seededRandom } from "../../lib/workload/plan.js";
import { MIX_HEADERS, MIX_LENGTH, mixPaths } from "../src/engines/request-mix.js";
import { runVegeta, vegetaTargets } from "../src/engines/vegeta.js";
import { parseWrkOutput, runWrk, wrkScript } from "../src/engines/wrk.js";

interface Recorder {
  url: string;
  paths: string[];
  /** performance.now() of each request's arrival. */
  arrivals: number[];
  userAgents: Set<string>;
  /** Every Accept-Encoding seen ("(none)" for a request without one). */
  acceptEncodings: Set<string>;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Answers 200 "{}" (or `status(path)`), after `delayMs`, recording every request. */
async function recorder(
  opts: { status?: (path: string) => number; delayMs?: number } = {},
): Promise<Recorder> {
  const paths: string[] = [];
  const arrivals: number[] = [];
  const userAgents = new Set<string>();
  const acceptEncodings = new Set<string>();
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    arrivals.push(performance.now());
    userAgents.add(String(req.headers["user-agent"]));
    acceptEncodings.add(req.headers["accept-encoding"] ?? "(none)");
    const answer = () => {
      res.writeHead(opts.status?.(req.url ?? "") ?? 200, { "content-type": "application/json" });
      res.end("{}");
    };
    if (opts.delayMs) setTimeout(answer, opts.delayMs);
    else answer();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    paths,
    arrivals,
    userAgents,
    acceptEncodings,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Share of requests per endpoint in `paths`, to compare with the runbook's weights. */
function endpointShares(paths: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of paths) {
    const kind = p.startsWith("/mcp/resources/sdlc/")
      ? "sdlc_core"
      : p.startsWith("/mcp/resources/patterns/")
        ? "pattern"
        : p === "/mcp/resources/templates"
          ? "template_listing"
          : "template";
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / paths.length]));
}

const total = ACCESS_PATTERN.reduce((t, a) => t + a.weight, 0);

describe("the request mix", () => {
  it("is the workload's own choices, in order, and every endpoint at its weight", () => {
    const random = seededRandom(42);
    const expected = Array.from({ length: 50 }, () => pickRequest(random).path);
    expect(mixPaths(50, 42)).toEqual(expected);
    const shares = endpointShares(mixPaths());
    for (const a of ACCESS_PATTERN) expect(shares[a.endpoint], a.endpoint).toBeCloseTo(a.weight / total, 1);
    expect(mixPaths()).toHaveLength(MIX_LENGTH);
  });

  it("is inlined in the wrk script and the vegeta targets with the workload's headers", () => {
    const paths = ["/mcp/resources/sdlc/core", "/mcp/resources/patterns/core?language=go"];
    const lua = wrkScript(paths);
    for (const p of paths) expect(lua).toContain(`"${p}"`);
    expect(lua).toContain(`wrk.headers["User-Agent"] = "${MIX_HEADERS["User-Agent"]}"`);
    const targets = vegetaTargets("http://127.0.0.1:1", paths)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { method: string; url: string; header: Record<string, string[]> });
    expect(targets.map((t) => t.url)).toEqual(paths.map((p) => `http://127.0.0.1:1${p}`));
    expect(targets[0]?.header.Accept).toEqual([MIX_HEADERS.Accept]);
  });

  it("refuses wrk output without the script's summary line", () => {
    expect(() => parseWrkOutput("Running 1s test @ http://x\n")).toThrow(/no summary/);
  });
});

describe("wrk engine", () => {
  it("sends the mix in order on every connection and reports wrk's figures", async () => {
    const server = await recorder();
    const r = await runWrk({ baseUrl: server.url, connections: 4, durationSeconds: 1 });
    expect(r.requests).toBeGreaterThan(100);
    // wrk may have a few requests on the wire when the run ends: served >= counted.
    expect(server.paths.length).toBeGreaterThanOrEqual(r.requests);
    expect(r.failures).toBe(0);
    expect(r.rps).toBeGreaterThan(0);
    expect(r.latency.p99).toBeGreaterThanOrEqual(r.latency.p50);
    expect(r.latency.max).toBeGreaterThanOrEqual(r.latency.p99);
    const mix = new Set(mixPaths());
    for (const p of server.paths) expect(mix.has(p), p).toBe(true);
    expect(server.userAgents).toEqual(new Set([MIX_HEADERS["User-Agent"]]));
    expect(server.acceptEncodings).toEqual(new Set([MIX_HEADERS["Accept-Encoding"]]));
    if (server.paths.length > 2_000) {
      const shares = endpointShares(server.paths);
      expect(shares.sdlc_core).toBeCloseTo(50 / total, 1);
    }
  });

  it("counts error statuses as failures", async () => {
    const server = await recorder({ status: (p) => (p.startsWith("/mcp/resources/sdlc/") ? 500 : 200) });
    const r = await runWrk({ baseUrl: server.url, connections: 2, durationSeconds: 1 });
    expect(r.errors.status).toBeGreaterThan(0);
    expect(r.failures).toBe(r.errors.status);
    // About the sdlc share of the mix failed.
    expect(r.errors.status / r.requests).toBeCloseTo(50 / total, 1);
  });

  it("measures latency that the server adds", async () => {
    const server = await recorder({ delayMs: 20 });
    const r = await runWrk({ baseUrl: server.url, connections: 2, durationSeconds: 1 });
    expect(r.latency.p50).toBeGreaterThanOrEqual(19);
  });
});

describe("vegeta engine", () => {
  it("sends at the asked rate, spread evenly, and reports the latency percentiles", async () => {
    const server = await recorder();
    const r = await runVegeta({ baseUrl: server.url, rate: 200, durationSeconds: 2 });
    expect(r.requests).toBe(400);
    expect(server.paths).toHaveLength(400);
    expect(r.failures).toBe(0);
    expect(r.rate).toBeGreaterThan(190);
    expect(r.latency.p99).toBeGreaterThanOrEqual(r.latency.p50);
    // Open model, no bursts: every 100 ms window of the run got close to 20 arrivals.
    const start = server.arrivals[0] as number;
    const windows = new Array<number>(20).fill(0);
    for (const t of server.arrivals) {
      const w = Math.min(19, Math.floor((t - start) / 100));
      windows[w] = (windows[w] as number) + 1;
    }
    for (const count of windows) expect(count).toBeGreaterThanOrEqual(10);
    for (const count of windows) expect(count).toBeLessThanOrEqual(30);
    const mix = new Set(mixPaths());
    for (const p of server.paths) expect(mix.has(p), p).toBe(true);
    // Go's client asks for gzip unless the request names an encoding: the same bytes as wrk's.
    expect(server.acceptEncodings).toEqual(new Set([MIX_HEADERS["Accept-Encoding"]]));
    expect(server.userAgents).toEqual(new Set([MIX_HEADERS["User-Agent"]]));
  });

  it("keeps the arrival rate when responses are slow (no coordinated omission) and counts failures", async () => {
    // 100 req/s with 150 ms answers needs ~15 requests in flight: a closed loop of a few
    // connections would slow down to the server's pace; an open model does not.
    const server = await recorder({
      delayMs: 150,
      status: (p) => (p === "/mcp/resources/templates" ? 503 : 200),
    });
    const r = await runVegeta({ baseUrl: server.url, rate: 100, durationSeconds: 2 });
    expect(r.requests).toBe(200);
    expect(r.rate).toBeGreaterThan(95);
    expect(r.latency.p50).toBeGreaterThanOrEqual(145);
    const listings = server.paths.filter((p) => p === "/mcp/resources/templates").length;
    expect(listings).toBeGreaterThan(0);
    expect(r.failures).toBe(listings);
    expect(r.statusCodes["503"]).toBe(listings);
  });
});
