/** k6 options from a profile, and the shared summary from k6's end-of-test data. */
import { RESOURCE_TYPES, type ResourceType } from "../../../lib/contract/resource-kinds.ts";
import { ENDPOINTS, type Endpoint } from "../../../lib/workload/access-pattern.ts";
import { round } from "./numbers.ts";
import { type Profile, rampSeconds } from "./profiles.ts";
import { emptyStats, evaluateThresholds, type GroupStats, type RunSummary } from "./summary.ts";
import type { Threshold } from "./thresholds.ts";

/** Trend stats k6 keeps for the summary (and which the mapping below reads). */
export const K6_SUMMARY_TREND_STATS = [
  "count",
  "avg",
  "min",
  "med",
  "max",
  "p(50)",
  "p(75)",
  "p(90)",
  "p(95)",
  "p(99)",
  "p(99.9)",
];

const PERCENTILE_CURVE = [50, 75, 90, 95, 99, 99.9];

/** Tag on every workload request, so `/readyz` in setup() does not count toward the results. */
export const WORKLOAD_TAG = "workload:mcp";

function k6Expression(t: Threshold): string {
  switch (t.stat) {
    case "failureRate":
      return `rate<=${t.limit}`;
    case "rps":
      return `rate>${t.limit}`;
    default:
      return `p(${t.stat.slice(1)})<${t.limit}`;
  }
}

function k6MetricFor(t: Threshold): string {
  const tag = t.scope === "overall" ? WORKLOAD_TAG : `resource_type:${t.scope}`;
  if (t.stat === "failureRate") return `mcp_request_failed{${tag}}`;
  if (t.stat === "rps") return `http_reqs{${tag}}`;
  return `http_req_duration{${tag}}`;
}

/**
 * k6 thresholds for a threshold list, plus always-true ones on every tag the summary
 * mapping reads (k6 only reports sub-metrics that have a threshold).
 */
export function k6Thresholds(thresholds: readonly Threshold[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (metric: string, expr: string) => {
    const list = out[metric] ?? [];
    if (list.indexOf(expr) < 0) list.push(expr);
    out[metric] = list;
  };
  const tags = [WORKLOAD_TAG]
    .concat(RESOURCE_TYPES.map((t) => `resource_type:${t}`))
    .concat(ENDPOINTS.map((e) => `endpoint:${e}`));
  for (const tag of tags) {
    add(`http_req_duration{${tag}}`, "max>=0");
    add(`mcp_request_failed{${tag}}`, "rate>=0");
  }
  for (const result of ["hit", "miss"])
    add(`mcp_request_duration_by_cache{cache_result:${result}}`, "max>=0");
  // Only gating thresholds become k6 thresholds (k6 exits 99 on a breach); the others are
  // evaluated by summaryFromK6 from the same numbers and reported as warnings.
  for (const t of thresholds) if (t.gating) add(k6MetricFor(t), k6Expression(t));
  return out;
}

/** k6 `ramping-vus` stages for a profile: ramp at the spawn rate, then hold. */
export function k6Stages(
  profile: Pick<Profile, "users" | "spawnRate">,
  durationSeconds: number,
): Array<{ duration: string; target: number }> {
  const ramp = Math.min(rampSeconds(profile), durationSeconds);
  const rampTarget = Math.round((profile.users * ramp) / rampSeconds(profile));
  const stages = [{ duration: `${ramp}s`, target: rampTarget }];
  if (durationSeconds > ramp)
    stages.push({ duration: `${round(durationSeconds - ramp, 3)}s`, target: profile.users });
  return stages;
}

/** The subset of k6's handleSummary data the mapping reads. */
export interface K6SummaryData {
  state?: { testRunDurationMs?: number };
  metrics: Record<string, { type?: string; values: Record<string, number> } | undefined>;
  root_group?: K6Group;
}

export interface K6Group {
  checks?: Array<{ name: string; passes: number; fails: number }> | Record<string, never>;
  groups?: K6Group[] | Record<string, never>;
}

function k6Group(data: K6SummaryData, tag: string, seconds: number): GroupStats {
  const d = data.metrics[`http_req_duration{${tag}}`]?.values;
  const f = data.metrics[`mcp_request_failed{${tag}}`]?.values;
  if (!d) return emptyStats();
  const requests = d.count ?? 0;
  const failures = f ? (f.passes ?? 0) : 0;
  const stats: GroupStats = {
    requests,
    responses: requests,
    failures,
    failureRate: requests > 0 ? round(failures / requests, 6) : 0,
    rps: seconds > 0 ? round(requests / seconds, 2) : 0,
    min: round(d.min ?? 0),
    mean: round(d.avg ?? 0),
    p50: round(d["p(50)"] ?? d.med ?? 0),
    p90: round(d["p(90)"] ?? 0),
    p95: round(d["p(95)"] ?? 0),
    p99: round(d["p(99)"] ?? 0),
    max: round(d.max ?? 0),
  };
  return stats;
}

function k6Curve(data: K6SummaryData, tag: string): Array<{ percentile: number; ms: number }> {
  const d = data.metrics[`http_req_duration{${tag}}`]?.values;
  if (!d) return [];
  const curve = [{ percentile: 0, ms: round(d.min ?? 0) }];
  for (const p of PERCENTILE_CURVE) {
    const v = d[`p(${p})`];
    if (v !== undefined) curve.push({ percentile: p, ms: round(v) });
  }
  curve.push({ percentile: 100, ms: round(d.max ?? 0) });
  return curve;
}

function collectChecks(group: K6Group | undefined, into: Record<string, number>): void {
  if (!group) return;
  const checks = Array.isArray(group.checks) ? group.checks : [];
  for (const c of checks)
    if (c.fails > 0) into[`check failed: ${c.name}`] = (into[`check failed: ${c.name}`] ?? 0) + c.fails;
  const groups = Array.isArray(group.groups) ? group.groups : [];
  for (const g of groups) collectChecks(g, into);
}

export interface SummaryMeta {
  engine: RunSummary["engine"];
  profile: Profile;
  durationSeconds: number;
  baseUrl: string;
  testId: string;
  startedAt: string;
  thresholds: readonly Threshold[];
}

/** Builds the shared summary from k6's handleSummary data. */
export function summaryFromK6(data: K6SummaryData, meta: SummaryMeta): RunSummary {
  const seconds = (data.state?.testRunDurationMs ?? meta.durationSeconds * 1000) / 1000;
  const byResourceType = {} as Record<ResourceType, GroupStats>;
  for (const t of RESOURCE_TYPES) byResourceType[t] = k6Group(data, `resource_type:${t}`, seconds);
  const byEndpoint = {} as Record<Endpoint, GroupStats>;
  for (const e of ENDPOINTS) byEndpoint[e] = k6Group(data, `endpoint:${e}`, seconds);
  const byCacheResult: Partial<Record<"hit" | "miss", GroupStats>> = {};
  for (const r of ["hit", "miss"] as const) {
    const v = data.metrics[`mcp_request_duration_by_cache{cache_result:${r}}`]?.values;
    if (v && (v.count ?? 0) > 0) {
      byCacheResult[r] = {
        ...emptyStats(),
        requests: v.count ?? 0,
        responses: v.count ?? 0,
        rps: round((v.count ?? 0) / seconds, 2),
        min: round(v.min ?? 0),
        mean: round(v.avg ?? 0),
        p50: round(v["p(50)"] ?? v.med ?? 0),
        p90: round(v["p(90)"] ?? 0),
        p95: round(v["p(95)"] ?? 0),
        p99: round(v["p(99)"] ?? 0),
        max: round(v.max ?? 0),
      };
    }
  }
  const overall = k6Group(data, WORKLOAD_TAG, seconds);
  const failureReasons: Record<string, number> = {};
  collectChecks(data.root_group, failureReasons);
  const distribution: RunSummary["distribution"] = { overall: k6Curve(data, WORKLOAD_TAG) };
  for (const t of RESOURCE_TYPES) distribution[t] = k6Curve(data, `resource_type:${t}`);
  const thresholds = evaluateThresholds(meta.thresholds, { overall, byResourceType });
  return {
    schema: "mcp-loadtest-summary/v1",
    engine: meta.engine,
    profile: meta.profile.name,
    testId: meta.testId,
    baseUrl: meta.baseUrl,
    startedAt: meta.startedAt,
    durationSeconds: round(seconds, 2),
    config: {
      users: meta.profile.users,
      spawnRate: meta.profile.spawnRate,
      durationSeconds: meta.durationSeconds,
    },
    overall,
    byResourceType,
    byEndpoint,
    byCacheResult,
    failureReasons,
    thresholds,
    passed: thresholds.every((t) => t.ok || !t.gating),
    distribution,
  };
}
