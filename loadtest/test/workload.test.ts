import { describe, expect, it } from "vitest";
import { parseCliDuration } from "../../lib/contract/duration.js";
import { ACCESS_PATTERN } from "../../lib/workload/access-pattern.js";
import { LANGUAGES, PATTERN_NAMES, TEMPLATE_TYPES } from "../../lib/workload/catalogue.js";
import { checkResponse } from "../../lib/workload/checks.js";
import { parseBaseUrl } from "../../lib/workload/load-target.js";
import { pickRequest, seededRandom } from "../../lib/workload/plan.js";
import {
  K6_SUMMARY_TREND_STATS,
  type K6SummaryData,
  k6Stages,
  k6Thresholds,
  summaryFromK6,
} from "../src/workload/k6-mapping.js";
import { getProfile, PROFILES, rampSteps } from "../src/workload/profiles.js";
import { emptyStats, evaluateThresholds, type GroupStats } from "../src/workload/summary.js";
import {
  applyGate,
  applyThresholdOverrides,
  resolveThresholds,
  thresholdsFor,
} from "../src/workload/thresholds.js";

function sample(n: number, seed = 42) {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => pickRequest(random));
}

describe("access pattern", () => {
  it("uses the runbook's 50 : 40 : 20 : 10 as relative weights", () => {
    expect(ACCESS_PATTERN.map((a) => [a.endpoint, a.resourceType, a.weight])).toEqual([
      ["sdlc_core", "sdlc", 50],
      ["pattern", "patterns", 40],
      ["template", "templates", 20],
      ["template_listing", "templates", 10],
    ]);
  });

  it("produces those shares (of 120) in a long run", () => {
    const n = 120_000;
    const picks = sample(n);
    const share = (e: string) => picks.filter((p) => p.endpoint === e).length / n;
    expect(share("sdlc_core")).toBeCloseTo(50 / 120, 2);
    expect(share("pattern")).toBeCloseTo(40 / 120, 2);
    expect(share("template")).toBeCloseTo(20 / 120, 2);
    expect(share("template_listing")).toBeCloseTo(10 / 120, 2);
  });

  it("spreads patterns over every shipped language and name, skewed to the common ones", () => {
    const patterns = sample(60_000).filter((p) => p.endpoint === "pattern");
    const seen = new Set(patterns.map((p) => p.path));
    for (const language of LANGUAGES) {
      for (const name of PATTERN_NAMES)
        expect(seen).toContain(`/mcp/resources/patterns/${name}?language=${language}`);
    }
    const count = (re: RegExp) => patterns.filter((p) => re.test(p.path)).length;
    expect(count(/language=python$/)).toBeGreaterThan(count(/language=typescript$/));
    expect(count(/language=typescript$/)).toBeGreaterThan(count(/language=go$/));
    expect(count(/\/core\?/)).toBeGreaterThan(2 * count(/\/observability\?/));
  });

  it("spreads templates over every shipped artifact type", () => {
    const templates = sample(30_000).filter((p) => p.endpoint === "template");
    const seen = new Set(templates.map((p) => p.path));
    for (const t of TEMPLATE_TYPES) expect(seen).toContain(`/mcp/resources/templates/${t}`);
  });

  it("tags every request with its resource_type and expected URI", () => {
    for (const p of sample(2_000)) {
      if (p.endpoint === "sdlc_core")
        expect(p).toMatchObject({ resourceType: "sdlc", expect: { uri: "sdlc://core" } });
      if (p.endpoint === "pattern") {
        const m = /^\/mcp\/resources\/patterns\/([a-z-]+)\?language=([a-z]+)$/.exec(p.path);
        expect(m).not.toBeNull();
        expect(p).toMatchObject({
          resourceType: "patterns",
          expect: { uri: `sdlc://patterns/${m?.[2]}/${m?.[1]}` },
        });
      }
      if (p.endpoint === "template") expect(p.resourceType).toBe("templates");
      if (p.endpoint === "template_listing")
        expect(p).toMatchObject({ resourceType: "templates", expect: { kind: "listing" } });
    }
  });

  it("is repeatable with a seed", () => {
    expect(sample(50, 7).map((p) => p.path)).toEqual(sample(50, 7).map((p) => p.path));
  });
});

describe("profiles", () => {
  it("carry the runbook's numbers", () => {
    expect(PROFILES.full).toMatchObject({ users: 100, spawnRate: 10, durationSeconds: 300, minRps: 500 });
    expect(PROFILES.quick).toMatchObject({ users: 30, spawnRate: 5, durationSeconds: 60 });
    expect(PROFILES.stress).toMatchObject({ users: 500, spawnRate: 50, durationSeconds: 600 });
    expect(PROFILES.warmup).toMatchObject({ users: 10, spawnRate: 5, durationSeconds: 30 });
    expect(PROFILES.quick.minRps).toBeUndefined();
    expect(() => getProfile("huge")).toThrow(/unknown profile/);
  });

  it("ramp in whole-second steps at the spawn rate", () => {
    expect(rampSteps(PROFILES.quick, 60)).toEqual(
      [0, 1, 2, 3, 4, 5].map((atSecond) => ({ atSecond, users: 5 })),
    );
    expect(rampSteps(PROFILES.full, 300)).toHaveLength(10);
    expect(rampSteps({ users: 12, spawnRate: 5 }, 60).map((s) => s.users)).toEqual([5, 5, 2]);
    expect(rampSteps(PROFILES.quick, 3).map((s) => s.atSecond)).toEqual([0, 1, 2]);
  });

  it("map to k6 ramping-vus stages", () => {
    expect(k6Stages(PROFILES.quick, 60)).toEqual([
      { duration: "6s", target: 30 },
      { duration: "54s", target: 30 },
    ]);
    expect(k6Stages(PROFILES.stress, 600)[0]).toEqual({ duration: "10s", target: 500 });
    expect(k6Stages(PROFILES.quick, 3)).toEqual([{ duration: "3s", target: 15 }]);
  });

  it("parse durations", () => {
    expect(parseCliDuration("90")).toBe(90_000);
    expect(parseCliDuration("30s")).toBe(30_000);
    expect(parseCliDuration("1m30s")).toBe(90_000);
    expect(parseCliDuration("5m")).toBe(300_000);
    expect(parseCliDuration("500ms")).toBe(500);
    expect(parseCliDuration("1.5s")).toBe(1_500);
    expect(() => parseCliDuration("soon")).toThrow(/invalid duration/);
    expect(() => parseCliDuration("5x")).toThrow(/invalid duration/);
  });
});

describe("thresholds", () => {
  it("are the runbook's: overall key metrics, per-type warm p95/p99, rps for full", () => {
    const quick = thresholdsFor(PROFILES.quick).map((t) => `${t.scope}.${t.stat}<${t.limit}`);
    expect(quick).toEqual([
      "overall.failureRate<0",
      "overall.p50<50",
      "overall.p95<100",
      "overall.p99<200",
      "sdlc.p95<15",
      "sdlc.p99<30",
      "patterns.p95<30",
      "patterns.p99<60",
      "templates.p95<50",
      "templates.p99<100",
    ]);
    expect(thresholdsFor(PROFILES.full).find((t) => t.stat === "rps")?.limit).toBe(500);
  });

  it("gate ci keeps only the Quick Performance Check (0% failures, p95 < 100 ms) gating", () => {
    const gating = applyGate(thresholdsFor(PROFILES.quick), "ci")
      .filter((t) => t.gating)
      .map((t) => `${t.scope}.${t.stat}`);
    expect(gating).toEqual(["overall.failureRate", "overall.p95"]);
    expect(() => applyGate([], "lenient")).toThrow(/unknown gate/);
  });

  it("take overrides, which always gate", () => {
    const list = resolveThresholds(PROFILES.full, "ci", "p95=80, sdlc.p99=40,rps=off");
    expect(list.find((t) => t.scope === "overall" && t.stat === "p95")).toMatchObject({
      limit: 80,
      gating: true,
    });
    expect(list.find((t) => t.scope === "sdlc" && t.stat === "p99")).toMatchObject({
      limit: 40,
      gating: true,
    });
    expect(list.some((t) => t.stat === "rps")).toBe(false);
    expect(() => applyThresholdOverrides([], "p95<3")).toThrow(/invalid threshold override/);
    expect(() => applyThresholdOverrides([], "latency=3")).toThrow(/invalid threshold override/);
  });

  it("evaluate against a summary; a group without requests fails its latency target", () => {
    const stats = (p95: number, requests = 10): GroupStats => ({
      ...emptyStats(),
      requests,
      responses: requests,
      p95,
      p50: 1,
      p99: p95,
    });
    const results = evaluateThresholds(thresholdsFor(PROFILES.quick), {
      overall: stats(20),
      byResourceType: { sdlc: stats(16), patterns: stats(5), templates: stats(0, 0) },
    });
    const by = (scope: string, stat: string) => results.find((r) => r.scope === scope && r.stat === stat);
    expect(by("overall", "p95")?.ok).toBe(true);
    expect(by("sdlc", "p95")).toMatchObject({ ok: false, actual: 16 });
    expect(by("patterns", "p95")?.ok).toBe(true);
    expect(by("templates", "p95")).toMatchObject({ ok: false, actual: null });
  });

  it("fail latency targets of a group whose requests all got no response (errors have no latency)", () => {
    const errorsOnly: GroupStats = {
      ...emptyStats(),
      requests: 50,
      responses: 0,
      failures: 50,
      failureRate: 1,
    };
    const results = evaluateThresholds(thresholdsFor(PROFILES.quick), {
      overall: errorsOnly,
      byResourceType: { sdlc: errorsOnly, patterns: errorsOnly, templates: errorsOnly },
    });
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(results.find((r) => r.stat === "failureRate")?.actual).toBe(1);
  });

  it("become k6 thresholds per tag, gating ones only, plus always-true ones for the summary", () => {
    const all = k6Thresholds(resolveThresholds(PROFILES.full, "all"));
    expect(all["http_req_duration{resource_type:sdlc}"]).toEqual(["max>=0", "p(95)<15", "p(99)<30"]);
    expect(all["http_req_duration{workload:mcp}"]).toEqual(["max>=0", "p(50)<50", "p(95)<100", "p(99)<200"]);
    expect(all["mcp_request_failed{workload:mcp}"]).toEqual(["rate>=0", "rate<=0"]);
    expect(all["http_reqs{workload:mcp}"]).toEqual(["rate>500"]);
    expect(all["http_req_duration{endpoint:template_listing}"]).toEqual(["max>=0"]);
    const ci = k6Thresholds(resolveThresholds(PROFILES.quick, "ci"));
    expect(ci["http_req_duration{resource_type:sdlc}"]).toEqual(["max>=0"]);
    expect(ci["http_req_duration{workload:mcp}"]).toEqual(["max>=0", "p(95)<100"]);
  });
});

describe("checkResponse", () => {
  const resource = { kind: "resource", uri: "sdlc://patterns/go/core" } as const;
  const good = JSON.stringify({
    contents: [{ uri: "sdlc://patterns/go/core", mimeType: "text/markdown", text: "# x" }],
  });

  it("passes the contract's bodies", () => {
    expect(checkResponse(resource, 200, good)).toBeUndefined();
    expect(
      checkResponse(
        { kind: "listing" },
        200,
        JSON.stringify({
          resources: [{ uri: "sdlc://templates/prd", name: "prd", mimeType: "text/markdown", size: 1 }],
        }),
      ),
    ).toBeUndefined();
  });

  it("fails bad status and bad shapes with a reason", () => {
    expect(checkResponse(resource, 500, good)).toBe("status 500");
    expect(checkResponse(resource, 0, "")).toBe("status 0");
    expect(checkResponse(resource, 200, "<html>")).toBe("body: not JSON");
    expect(checkResponse(resource, 200, "[]")).toBe("body: not a JSON object");
    expect(checkResponse(resource, 200, '{"contents":[]}')).toMatch(/contents\[\] missing/);
    expect(checkResponse(resource, 200, good.replace("go/core", "go/tooling"))).toMatch(/uri mismatch/);
    expect(checkResponse(resource, 200, good.replace('"text/markdown"', "1"))).toMatch(/mimeType/);
    expect(checkResponse(resource, 200, good.replace('"# x"', '""'))).toMatch(/text missing/);
    expect(checkResponse({ kind: "listing" }, 200, '{"resources":[]}')).toMatch(/resources\[\]/);
    expect(checkResponse({ kind: "listing" }, 200, '{"resources":[{"uri":1}]}')).toMatch(/without uri/);
  });
});

describe("parseBaseUrl", () => {
  it("accepts loopback targets only", () => {
    expect(parseBaseUrl("http://127.0.0.1:8000").origin).toBe("http://127.0.0.1:8000");
    expect(parseBaseUrl("http://localhost:8000/").origin).toBe("http://localhost:8000");
    expect(parseBaseUrl("http://[::1]:9000").origin).toBe("http://[::1]:9000");
    expect(parseBaseUrl("http://127.3.2.1").port).toBe(80);
    for (const bad of [
      "http://10.0.0.5:8000",
      "http://192.168.1.2",
      "https://example.com",
      "http://127.0.0.1.nip.io:8000",
      "http://0.0.0.0:8000",
      "http://[::2]:80",
    ]) {
      expect(() => parseBaseUrl(bad), bad).toThrow(/refusing to load-test/);
    }
    expect(() => parseBaseUrl("http://127.0.0.1:8000/mcp")).toThrow(/no path/);
    expect(() => parseBaseUrl("ftp://127.0.0.1")).toThrow(/not of the form/);
  });

  it("accepts host names given explicitly (the compose service for k6)", () => {
    expect(parseBaseUrl("http://mcp-service:8000", ["mcp-service"]).host).toBe("mcp-service");
  });
});

describe("summaryFromK6", () => {
  const trend = (count: number, p95: number) => ({
    type: "trend",
    values: {
      count,
      avg: p95 / 2,
      min: 1,
      med: p95 / 3,
      max: p95 * 2,
      "p(50)": p95 / 3,
      "p(90)": p95 * 0.9,
      "p(95)": p95,
      "p(99)": p95 * 1.5,
    },
  });
  const rate = (passes: number, fails: number) => ({
    type: "rate",
    values: { rate: passes / (passes + fails), passes, fails },
  });
  const data: K6SummaryData = {
    state: { testRunDurationMs: 10_000 },
    metrics: {
      "http_req_duration{workload:mcp}": trend(1000, 40),
      "mcp_request_failed{workload:mcp}": rate(2, 998),
      "http_req_duration{resource_type:sdlc}": trend(420, 12),
      "mcp_request_failed{resource_type:sdlc}": rate(0, 420),
      "http_req_duration{resource_type:patterns}": trend(330, 20),
      "http_req_duration{resource_type:templates}": trend(250, 60),
      "mcp_request_failed{resource_type:templates}": rate(2, 248),
      "http_req_duration{endpoint:template_listing}": trend(80, 70),
      "mcp_request_duration_by_cache{cache_result:hit}": trend(900, 10),
    },
    root_group: { checks: [{ name: "status is 200", passes: 998, fails: 2 }], groups: [] },
  };

  it("builds the shared summary shape and evaluates the same thresholds", () => {
    const s = summaryFromK6(data, {
      engine: "k6",
      profile: PROFILES.quick,
      durationSeconds: 10,
      baseUrl: "http://127.0.0.1:8000",
      testId: "t1",
      startedAt: "2025-01-01T00:00:00.000Z",
      thresholds: resolveThresholds(PROFILES.quick, "all"),
    });
    expect(s.schema).toBe("mcp-loadtest-summary/v1");
    expect(s.overall).toMatchObject({ requests: 1000, failures: 2, failureRate: 0.002, rps: 100, p95: 40 });
    expect(s.byResourceType.templates).toMatchObject({ requests: 250, failures: 2, p95: 60 });
    expect(s.byEndpoint.template_listing.requests).toBe(80);
    expect(s.byEndpoint.sdlc_core.requests).toBe(0);
    expect(s.byCacheResult?.hit?.requests).toBe(900);
    expect(s.failureReasons).toEqual({ "check failed: status is 200": 2 });
    expect(s.passed).toBe(false);
    expect(s.thresholds.filter((t) => !t.ok).map((t) => `${t.scope}.${t.stat}`)).toEqual([
      "overall.failureRate",
      "templates.p95",
    ]);
    expect(s.distribution?.overall?.map((p) => p.percentile)).toEqual([0, 50, 90, 95, 99, 100]);
  });

  it("asks k6 for every trend stat the mapping reads", () => {
    for (const stat of ["count", "avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)"]) {
      expect(K6_SUMMARY_TREND_STATS).toContain(stat);
    }
  });
});
