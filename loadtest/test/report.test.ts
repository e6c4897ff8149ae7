import { describe, expect, it } from "vitest";
import {
  buildFrameTree,
  type CpuProfile,
  hottestFunctions,
  renderFlameGraphHtml,
  renderFlameGraphSvg,
} from "../src/profile/flamegraph.js";
import { renderHtml } from "../src/report/html-report.js";
import { renderCsv, renderHistoryCsv, renderText } from "../src/report/summary-report.js";
import { hitRatioBetween, parseCacheCounters } from "../src/service-metrics.js";
import { PROFILES } from "../src/workload/profiles.js";
import { emptyStats, evaluateThresholds, type GroupStats, type RunSummary } from "../src/workload/summary.js";
import { resolveThresholds } from "../src/workload/thresholds.js";

function stats(p95: number, requests = 100, failures = 0): GroupStats {
  return {
    ...emptyStats(),
    requests,
    responses: requests,
    failures,
    failureRate: failures / requests,
    rps: requests / 10,
    p50: p95 / 3,
    p90: p95 * 0.9,
    p95,
    p99: p95 * 1.4,
    max: p95 * 2,
  };
}

function fixture(gate: "all" | "ci"): RunSummary {
  const overall = stats(40, 1000, 1);
  const byResourceType = { sdlc: stats(12, 420), patterns: stats(20, 330), templates: stats(70, 250, 1) };
  const thresholds = evaluateThresholds(resolveThresholds(PROFILES.quick, gate), { overall, byResourceType });
  return {
    schema: "mcp-loadtest-summary/v1",
    engine: "autocannon",
    profile: "quick",
    testId: "quick-test",
    baseUrl: "http://127.0.0.1:8000",
    startedAt: "2025-01-01T00:00:00.000Z",
    durationSeconds: 10,
    config: { users: 30, spawnRate: 5, durationSeconds: 10 },
    overall,
    byResourceType,
    byEndpoint: {
      sdlc_core: stats(12, 420),
      pattern: stats(20, 330),
      template: stats(30, 170),
      template_listing: stats(90, 80, 1),
      mcp_read: emptyStats(),
    },
    byCacheResult: { hit: stats(10, 980), miss: stats(50, 20) },
    failureReasons: { "status 500": 1 },
    thresholds,
    passed: thresholds.every((t) => t.ok || !t.gating),
    distribution: {
      overall: [
        { percentile: 0, ms: 1 },
        { percentile: 50, ms: 10 },
        { percentile: 99, ms: 56 },
      ],
      sdlc: [
        { percentile: 0, ms: 1 },
        { percentile: 99, ms: 16 },
      ],
    },
    timeline: [1, 2, 3].map((second) => ({ second, requests: 100, failures: 0, p50: 5, p95: 20, p99: 30 })),
  };
}

describe("reports", () => {
  it("text: a table per group, failures, and PASS/FAIL/WARN verdicts", () => {
    const failing = renderText(fixture("all"));
    expect(failing).toMatch(/resource_type\s+templates\s+250\s+1/);
    expect(failing).toMatch(/1\s+status 500/);
    expect(failing).toMatch(/FAIL\s+overall\s+failure rate == 0%/);
    expect(failing).toMatch(/RESULT: FAIL - 2 thresholds breached/);
    const ci = renderText(fixture("ci"));
    expect(ci).toMatch(/WARN\s+templates p95 < 50 ms/);
    expect(ci).toMatch(/RESULT: FAIL - 1 threshold breached/);
  });

  it("CSV: one row per group with numeric columns", () => {
    const lines = renderCsv(fixture("all")).trim().split("\n");
    expect(lines[0]).toBe(
      "group,name,requests,failures,failure_rate,rps,min_ms,mean_ms,p50_ms,p90_ms,p95_ms,p99_ms,max_ms",
    );
    expect(lines).toHaveLength(1 + 1 + 3 + 4 + 2);
    expect(lines[1]).toMatch(/^overall,all,1000,1,0.001,100,/);
    expect(lines.some((l) => l.startsWith("endpoint,template_listing,80,1,"))).toBe(true);
    expect(renderHistoryCsv(fixture("all")).trim().split("\n")).toHaveLength(4);
  });

  it("HTML: self-contained, with verdict, charts and tables", () => {
    const html = renderHtml(fixture("all"));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('class="verdict fail"');
    expect((html.match(/<svg /g) ?? []).length).toBe(4);
    expect(html).toContain("<polyline");
    // Nothing loaded from elsewhere: no scripts, stylesheets, images or external references.
    expect(html).not.toMatch(/<script|<link |<img |src=|href=|@import|url\(/);
    expect(renderHtml({ ...fixture("all"), baseUrl: "http://127.0.0.1:1/<x>" })).toContain("&lt;x&gt;");
  });
});

describe("metrics scrape", () => {
  const text = (h: number, m: number) => `# HELP mcp_resource_cache_hits_total x
# TYPE mcp_resource_cache_hits_total counter
mcp_resource_cache_hits_total{resource_type="sdlc"} ${h}
mcp_resource_cache_hits_total{resource_type="patterns"} 5
mcp_resource_cache_hits_total{resource_type="templates"} 0
mcp_resource_cache_misses_total{resource_type="sdlc"} ${m}
mcp_resource_cache_misses_total{resource_type="patterns"} 5
mcp_resource_cache_misses_total{resource_type="templates"} 0
mcp_resource_cache_errors_total{operation="get"} ${m}
mcp_resource_cache_errors_total{operation="set"} 1
`;

  it("parses the service's cache counters and the hit ratio between two scrapes", () => {
    const before = parseCacheCounters(text(10, 2));
    expect(before.hits.sdlc).toBe(10);
    expect(before.misses.patterns).toBe(5);
    const r = hitRatioBetween(before, parseCacheCounters(text(100, 12)));
    expect(r.byResourceType.sdlc).toEqual({ hits: 90, misses: 10, ratio: 0.9 });
    expect(r.byResourceType.templates.ratio).toBeNull();
    expect(r.combined.ratio).toBe(0.9);
    expect(r.errors).toEqual({ get: 10, set: 0 });
  });
});

describe("flame graph", () => {
  const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 9, columnNumber: 0 });
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 2_000_000,
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 3, 6] },
      { id: 2, callFrame: frame("(idle)"), children: [] },
      { id: 3, callFrame: frame("handle", "file:///repo/service/src/http/app.ts"), children: [4, 5] },
      { id: 4, callFrame: frame("readFile", "node:fs"), children: [] },
      {
        id: 5,
        callFrame: frame("sendCommand", "file:///repo/node_modules/@redis/client/dist/x.js"),
        children: [],
      },
      { id: 6, callFrame: frame("(garbage collector)"), children: [] },
    ],
    samples: [2, 2, 2, 2, 3, 4, 4, 4, 5, 5, 6],
  };

  it("builds a merged tree from samples, leaving idle out", () => {
    const root = buildFrameTree(profile, { rootDir: "/repo" });
    expect(root.total).toBe(7);
    const handle = root.children.find((c) => c.name === "handle");
    expect(handle).toMatchObject({
      self: 1,
      total: 6,
      location: "service/src/http/app.ts:10",
      category: "app",
    });
    expect(handle?.children.map((c) => [c.name, c.category, c.total])).toEqual([
      ["readFile", "node", 3],
      ["sendCommand", "dependency", 2],
    ]);
    expect(buildFrameTree(profile, { excludeIdle: false }).total).toBe(11);
    expect(hottestFunctions(root)[0]).toMatchObject({ self: 3 });
  });

  it("renders an SVG and a self-contained HTML page", () => {
    const svg = renderFlameGraphSvg(profile, { title: "t" });
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain("<title>readFile (node:fs:10)");
    const html = renderFlameGraphHtml(profile, { title: "t", notes: ["n1"] });
    expect(html).toContain("11 samples over 2.0 s; 7 on CPU, 4 idle");
    expect(html).toContain("<script>");
    expect(html).toContain("<li>n1</li>");
    expect(html).not.toMatch(/<link |<img |src=|href=|@import|url\(/);
  });
});
