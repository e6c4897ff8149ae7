import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Exposition, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const RUNBOOK = path.resolve(
  import.meta.dirname,
  "../../../shared/seed/resource-loading-performance-runbook.md",
);

/**
 * Every PromQL expression of the seed runbook that uses the service's metrics, verbatim
 * (multi-line ones joined). The test below also re-reads the runbook, so an expression
 * added there and forgotten here fails.
 */
const RUNBOOK_PROMQL = [
  'histogram_quantile(0.95, mcp_resource_loading_latency_seconds{resource_type="patterns",cache_result="hit"})',
  'histogram_quantile(0.95, mcp_resource_loading_latency_seconds{resource_type="patterns",cache_result="miss"})',
  "histogram_quantile(0.95, sum(rate(mcp_resource_loading_latency_seconds_bucket[5m])) by (le))",
  "histogram_quantile(0.50, sum(rate(mcp_resource_loading_latency_seconds_bucket[5m])) by (le))",
  'histogram_quantile(0.95, rate(mcp_resource_loading_latency_seconds_bucket{resource_type="patterns"}[5m])) by (cache_result)',
  "histogram_quantile(0.99, sum(rate(mcp_resource_loading_latency_seconds_bucket[5m])) by (le))",
  "sum(rate(mcp_resource_cache_hits_total[5m])) / (sum(rate(mcp_resource_cache_hits_total[5m])) + sum(rate(mcp_resource_cache_misses_total[5m]))) * 100",
  "sum(rate(mcp_resource_loading_latency_seconds_count[5m]))",
];

const PROMQL_FUNCTIONS = new Set(["histogram_quantile", "sum", "rate", "by", "le"]);

/** Metric names and label matchers a PromQL expression refers to. */
function references(expr: string): { metrics: string[]; labels: Array<[string, string]> } {
  const withoutMatchers = expr.replace(/\{[^}]*\}/g, "").replace(/\[[^\]]*\]/g, "");
  const metrics = [...withoutMatchers.matchAll(/[a-z_:][a-z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((w) => !PROMQL_FUNCTIONS.has(w) && !/^by$/.test(w) && w !== "cache_result");
  const labels = [...expr.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]);
  return { metrics, labels };
}

function hasSeries(exposition: Exposition, metric: string, labels: Array<[string, string]>): boolean {
  // histogram_quantile over a bare histogram name means its _bucket series.
  const candidates = [metric, `${metric}_bucket`];
  return exposition.samples.some(
    (s) => candidates.includes(s.name) && labels.every(([k, v]) => s.labels[k] === v),
  );
}

let t: TestService;
let exposition: Exposition;
beforeAll(async () => {
  t = await startTestService({ LOG_LEVEL: "silent" });
  await fetch(`${t.url}/mcp/resources/sdlc/core`);
  await fetch(`${t.url}/mcp/resources/patterns/core`);
  await fetch(`${t.url}/mcp/resources/templates/prd`);
  await fetch(`${t.url}/mcp/resources/templates/no-such-template`);
  await fetch(`${t.url}/mcp/resources/patterns/Not-Valid`);
  exposition = await scrape(t.url);
});
afterAll(async () => {
  await t.close();
});

describe("/metrics exposition", () => {
  it("has the contract's metrics with their types", () => {
    expect(
      Object.fromEntries([...exposition.types].filter(([name]) => name.startsWith("mcp_resource_"))),
    ).toEqual({
      mcp_resource_loading_latency_seconds: "histogram",
      mcp_resource_cache_latency_seconds: "histogram",
      mcp_resource_cache_hits_total: "counter",
      mcp_resource_cache_misses_total: "counter",
      mcp_resource_cache_errors_total: "counter",
      mcp_resource_cache_up: "gauge",
      mcp_resource_cache_pings_total: "counter",
      mcp_resource_cache_invalid_entries_total: "counter",
      mcp_resource_cache_writes_skipped_total: "counter",
      mcp_resource_file_reads_total: "counter",
      mcp_resource_http_connections_dropped_total: "counter",
      mcp_resource_inflight_requests: "gauge",
      mcp_resource_overload_rejections_total: "counter",
      mcp_resource_mcp_limited_total: "counter",
      // The in-process tier's own series (on by default; absent with LOCAL_CACHE_MAX_MB=0).
      mcp_resource_local_cache_lookups_total: "counter",
      mcp_resource_local_cache_drops_total: "counter",
      mcp_resource_local_cache_entries: "gauge",
      mcp_resource_local_cache_bytes: "gauge",
    });
    expect(exposition.types.get("http_request_duration_seconds")).toBe("histogram");
  });

  it("labels loading latency by resource_type x cache_result with the required buckets", () => {
    const buckets = exposition.samples.filter(
      (s) => s.name === "mcp_resource_loading_latency_seconds_bucket",
    );
    const combos = new Set(buckets.map((s) => `${s.labels.resource_type}/${s.labels.cache_result}`));
    expect([...combos].sort()).toEqual([
      "patterns/hit",
      "patterns/miss",
      "sdlc/hit",
      "sdlc/miss",
      "templates/hit",
      "templates/miss",
    ]);
    const edges = new Set(buckets.map((s) => Number(s.labels.le)));
    for (const required of [0.01, 0.05, 0.1, 0.2, 0.5, 1]) expect(edges).toContain(required);
    expect([...edges].filter((e) => e < 0.01).length).toBeGreaterThanOrEqual(3);
    for (const s of buckets)
      expect(Object.keys(s.labels).sort()).toEqual(["cache_result", "le", "resource_type"]);
  });

  it("labels cache latency by cache_result with the required buckets", () => {
    const buckets = exposition.samples.filter((s) => s.name === "mcp_resource_cache_latency_seconds_bucket");
    expect(new Set(buckets.map((s) => s.labels.cache_result))).toEqual(new Set(["hit", "miss"]));
    const edges = new Set(buckets.map((s) => Number(s.labels.le)));
    for (const required of [0.001, 0.005, 0.01, 0.05, 0.1]) expect(edges).toContain(required);
    expect([...edges].filter((e) => e < 0.001).length).toBeGreaterThanOrEqual(1);
  });

  it("has the counters, the gauge, and cache errors by operation", () => {
    for (const name of ["mcp_resource_cache_hits_total", "mcp_resource_cache_misses_total"]) {
      expect(
        new Set(exposition.samples.filter((s) => s.name === name).map((s) => s.labels.resource_type)),
      ).toEqual(new Set(["sdlc", "patterns", "templates"]));
    }
    expect(
      new Set(
        exposition.samples
          .filter((s) => s.name === "mcp_resource_cache_errors_total")
          .map((s) => s.labels.operation),
      ),
    ).toEqual(new Set(["get", "set"]));
    expect(exposition.samples.find((s) => s.name === "mcp_resource_cache_up")?.value).toBe(1);
  });

  it("labels HTTP metrics with route templates, never raw paths", () => {
    const routes = new Set(
      exposition.samples
        .filter((s) => s.name === "http_request_duration_seconds_count")
        .map((s) => s.labels.route),
    );
    expect(routes).toContain("/mcp/resources/patterns/:name");
    expect(routes).toContain("/mcp/resources/templates/:artifact_type");
    expect(routes).toContain("/mcp/resources/sdlc/:name");
    for (const route of routes) expect(route).not.toMatch(/prd|core$|no-such|Not-Valid/);
    const statuses = new Set(
      exposition.samples
        .filter((s) => s.name === "http_request_duration_seconds_count")
        .map((s) => s.labels.status_code),
    );
    expect(statuses).toEqual(new Set(["200", "400", "404"]));
  });

  it("includes Node's default process metrics", () => {
    for (const name of [
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
      "process_resident_memory_bytes",
    ]) {
      expect(exposition.types.has(name), name).toBe(true);
    }
    expect(exposition.types.get("nodejs_gc_duration_seconds")).toBe("histogram");
  });
});

describe("the runbook's PromQL", () => {
  it("lists every expression of the seed runbook that uses the service's metrics", async () => {
    const runbook = await readFile(RUNBOOK, "utf8");
    const blocks = [...runbook.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    // A statement is a run of code lines between blank or comment lines, joined.
    const statements = blocks
      .flatMap((block) => {
        const found: string[] = [];
        let current: string[] = [];
        for (const line of [...block.split("\n"), ""]) {
          const trimmed = line.trim();
          if (trimmed && !trimmed.startsWith("#")) {
            current.push(trimmed);
          } else if (current.length) {
            found.push(current.join(" "));
            current = [];
          }
        }
        return found;
      })
      .map((statement) => statement.replace(/\s+/g, " "))
      .filter((statement) => /mcp_resource_\w+/.test(statement) && !/curl|grep/.test(statement));
    expect(statements.length).toBeGreaterThanOrEqual(RUNBOOK_PROMQL.length);
    for (const statement of statements) expect(RUNBOOK_PROMQL).toContain(statement);
  });

  it.each(RUNBOOK_PROMQL)("refers only to series the service exposes: %s", (expr) => {
    const { metrics, labels } = references(expr);
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) {
      expect(hasSeries(exposition, metric, labels), `${metric} with ${JSON.stringify(labels)}`).toBe(true);
    }
  });
});
