import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { HAPROXY_BACKENDS, JOBS, SCRAPE_INTERVAL } from "../../lib/contract/stack.js";
import { REPO_ROOT } from "../../lib/repo.js";
import {
  DATASOURCE,
  GRAFANA_DASHBOARDS_PATH,
  JAEGER_COMPOSE_URL,
  JAEGER_DATASOURCE,
  PROMETHEUS_COMPOSE_URL,
} from "../src/grafana/datasources.js";
import { HAPROXY_METRICS } from "../src/haproxy-metrics.js";
import { OUTPUT_PATHS } from "../src/outputs.js";
import { TARGETS } from "../src/performance-targets.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { ruleSet } from "../src/rules/index.js";
import {
  allPanels,
  DASHBOARD_FILES,
  type DashboardJson,
  loadDashboard,
  type PanelJson,
  substituteVariables,
  testWithGeneratedRules,
} from "./dashboard-queries.js";

const rules = ruleSet(DEFAULT_PARAMS);
const queries = (panels: PanelJson[]) => panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
const thresholdValues = (p: PanelJson) =>
  (p.fieldConfig?.defaults?.thresholds?.steps ?? []).map((s) => s.value);

describe.each(DASHBOARD_FILES)("dashboard %s", (file) => {
  it("has unique panel ids, a title and a uid", async () => {
    const d = await loadDashboard(file);
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.title).not.toBe("");
    const ids = allPanels(d).map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lays panels out inside the 24-column grid without overlaps", async () => {
    const panels = allPanels(await loadDashboard(file));
    const boxes = panels.map((p) => ({ title: p.title, ...(p.gridPos ?? { x: -1, y: -1, w: 0, h: 0 }) }));
    for (const b of boxes) {
      expect(b.x, b.title).toBeGreaterThanOrEqual(0);
      expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
    }
    const overlaps = boxes.flatMap((a, i) =>
      boxes
        .slice(i + 1)
        .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        .map((b) => `${a.title} / ${b.title}`),
    );
    expect(overlaps).toEqual([]);
  });

  it("queries the provisioned datasource uid from every panel and target, each target with an expr", async () => {
    const panels = allPanels(await loadDashboard(file)).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(5);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: DATASOURCE.type, uid: DATASOURCE.uid });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.expr?.trim(), panel.title).toBeTruthy();
        expect(target.datasource?.uid, panel.title).toBe(DATASOURCE.uid);
      }
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });
});

describe("Resource loading dashboard", () => {
  let d: DashboardJson;
  const load = async () => {
    d ??= await loadDashboard(OUTPUT_PATHS.resourceDashboard);
    return d;
  };

  it("holds every runbook query (through its recording rule)", async () => {
    const exprs = queries(allPanels(await load())).join("\n");
    const n = rules.names;
    for (const record of [
      n.latency(0.5, "overall"),
      n.latency(0.95, "overall"),
      n.latency(0.99, "overall"),
      n.latency(0.95, "byType"),
      n.latency(0.95, "byTypeAndResult"),
      n.hitRatio.overall,
      n.loadRate.overall,
      n.cacheLatency(0.95),
      n.errorRatio,
    ]) {
      expect(exprs).toContain(record);
    }
  });

  it("marks the 100 ms and 200 ms targets on every latency panel", async () => {
    const latencyPanels = allPanels(await load()).filter((p) =>
      queries([p]).some((q) => q.includes("mcp_resource_loading_latency_seconds:p")),
    );
    expect(latencyPanels.length).toBeGreaterThanOrEqual(5);
    for (const p of latencyPanels) {
      expect(thresholdValues(p), p.title).toEqual(
        expect.arrayContaining([TARGETS.latencyP95Seconds, TARGETS.latencyP99Seconds]),
      );
    }
  });

  it("has rows for Redis and the Node runtime, and an alert state panel", async () => {
    const panels = allPanels(await load());
    const rows = panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual(expect.arrayContaining(["Redis", "Node.js runtime"]));
    const exprs = queries(panels).join("\n");
    for (const metric of [
      "redis_memory_used_bytes",
      "redis_evicted_keys",
      "redis_keyspace_hits",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_gc_duration_seconds",
    ]) {
      expect(exprs).toContain(metric);
    }
    expect(
      panels.some((p) => p.type === "state-timeline" && queries([p]).some((q) => q.includes("ALERTS"))),
    ).toBe(true);
  });
});

describe("Resource loading dashboard's Replicas row", () => {
  it("shows each replica on its own and HAProxy's view of the service backend", async () => {
    const panels = allPanels(await loadDashboard(OUTPUT_PATHS.resourceDashboard));
    const rowIndex = panels.findIndex((p) => p.type === "row" && p.title === "Replicas");
    expect(rowIndex).toBeGreaterThan(0);
    const next = panels.findIndex((p, i) => i > rowIndex && p.type === "row");
    const row = panels.slice(rowIndex + 1, next < 0 ? undefined : next);
    const exprs = queries(row);
    // Per replica: aggregated by instance, quantiles from that instance's own buckets.
    expect(exprs).toContain(`up{job="${JOBS.service}"}`);
    expect(exprs.some((q) => /sum by \(instance\) \(rate\(http_request_duration_seconds_count/.test(q))).toBe(
      true,
    );
    expect(exprs.some((q) => /histogram_quantile\(0\.95, sum by \(instance, le\)/.test(q))).toBe(true);
    // HAProxy: only series of the service backend, by the contract's job and backend names.
    const haproxy = exprs.filter((q) => q.includes("haproxy_"));
    expect(haproxy.length).toBeGreaterThanOrEqual(5);
    for (const q of haproxy)
      expect(q).toContain(`{job="${JOBS.balancer}", proxy="${HAPROXY_BACKENDS.service}"}`);
    for (const metric of Object.values(HAPROXY_METRICS).filter((m) => m !== HAPROXY_METRICS.serverStatus)) {
      expect(haproxy.join("\n"), metric).toContain(metric);
    }
  });
});

describe("Resource loading dashboard's alert panels, evaluated by promtool on the real rules", () => {
  const panelExpr = async (title: string) => {
    const panel = allPanels(await loadDashboard(OUTPUT_PATHS.resourceDashboard)).find(
      (p) => p.title === title,
    );
    const expr = panel?.targets?.[0]?.expr;
    if (!expr) throw new Error(`no panel "${title}"`);
    return substituteVariables(expr);
  };

  it("count no firing alert while only the Watchdog fires, and show its heartbeat", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "dashboard-alerts-"));
    try {
      // One scenario: the service up and idle, so nothing but the Watchdog fires.
      const expect_ = (expr: string, value: number) => ({
        expr,
        eval_time: "2m",
        exp_samples: [{ labels: "{}", value }],
      });
      const result = await testWithGeneratedRules(dir, "alert-panels", [
        {
          name: "idle stack: the Watchdog alone fires",
          interval: "1m",
          input_series: [{ series: `up{job="${JOBS.service}", instance="svc:8000"}`, values: "1+0x5" }],
          promql_expr_test: [
            expect_(await panelExpr("Firing alerts"), 0),
            expect_(await panelExpr("Watchdog heartbeat"), 1),
            { expr: await panelExpr("Alert states"), eval_time: "2m", exp_samples: [] },
          ],
        },
      ]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("k6 results dashboard", () => {
  it("scopes every k6 query to the selected testid and reads k6's remote-write metrics", async () => {
    const d = await loadDashboard(OUTPUT_PATHS.k6Dashboard);
    const k6 = queries(allPanels(d)).filter((q) => q.includes("k6_"));
    expect(k6.length).toBeGreaterThan(8);
    for (const q of k6) expect(q).toMatch(/k6_\w+\{testid=~"\$testid"\}/);
    const joined = k6.join("\n");
    for (const metric of [
      "k6_http_reqs_total",
      "k6_http_req_duration_p95",
      "k6_http_req_duration_p99",
      "k6_vus",
    ]) {
      expect(joined).toContain(metric);
    }
    const variable = d.templating?.list?.find((v) => v.name === "testid");
    expect(variable?.datasource?.uid).toBe(DATASOURCE.uid);
  });
});

describe("Grafana provisioning", () => {
  const read = async (rel: string) => parse(await readFile(path.join(REPO_ROOT, rel), "utf8"));

  it("provisions Prometheus under the uid the dashboards use, with exemplar links to Jaeger", async () => {
    const ds = await read(OUTPUT_PATHS.datasource);
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toEqual([
      expect.objectContaining({
        uid: DATASOURCE.uid,
        type: "prometheus",
        url: PROMETHEUS_COMPOSE_URL,
        jsonData: expect.objectContaining({
          timeInterval: SCRAPE_INTERVAL,
          exemplarTraceIdDestinations: [
            expect.objectContaining({ name: "trace_id", datasourceUid: JAEGER_DATASOURCE.uid }),
          ],
        }),
      }),
      expect.objectContaining({ uid: JAEGER_DATASOURCE.uid, type: "jaeger", url: JAEGER_COMPOSE_URL }),
    ]);
  });

  it("loads dashboards from the path compose mounts the dashboard directory at", async () => {
    const provider = await read(OUTPUT_PATHS.dashboardProvider);
    expect(provider.providers).toEqual([
      expect.objectContaining({
        type: "file",
        options: expect.objectContaining({ path: GRAFANA_DASHBOARDS_PATH }),
      }),
    ]);
    expect(path.dirname(OUTPUT_PATHS.resourceDashboard)).toBe("infra/grafana/dashboards");
  });
});
