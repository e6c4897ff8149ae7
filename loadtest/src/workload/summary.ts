/** The summary both engines write (summary.json), and threshold evaluation on it. k6 loads it. */
import type { ResourceType } from "../../../lib/contract/resource-kinds.ts";
import type { Endpoint } from "../../../lib/workload/access-pattern.ts";
import type { ProfileName } from "./profiles.ts";
import { describeThreshold, type Threshold } from "./thresholds.ts";

/** Latency in milliseconds; counts of completed responses plus transport errors. */
export interface GroupStats {
  /** Requests made: responses plus those that got none (timeouts, connection errors). */
  requests: number;
  /** Responses received, i.e. the samples behind the latency figures. */
  responses: number;
  failures: number;
  failureRate: number;
  rps: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ThresholdResult extends Threshold {
  readonly description: string;
  readonly actual: number | null;
  readonly ok: boolean;
}

export interface TimelinePoint {
  second: number;
  requests: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface RunSummary {
  schema: "mcp-loadtest-summary/v1";
  engine: "autocannon" | "k6";
  profile: ProfileName;
  testId: string;
  baseUrl: string;
  startedAt: string;
  durationSeconds: number;
  config: { users: number; spawnRate: number; durationSeconds: number };
  overall: GroupStats;
  byResourceType: Record<ResourceType, GroupStats>;
  byEndpoint: Record<Endpoint, GroupStats>;
  /** Latency by the service's X-Cache header (HIT/MISS); absent where the engine lacks it. */
  byCacheResult?: Partial<Record<"hit" | "miss", GroupStats>>;
  failureReasons: Record<string, number>;
  thresholds: ThresholdResult[];
  passed: boolean;
  /** Latency percentile curve per group (ms), for charts. */
  distribution?: Partial<Record<"overall" | ResourceType, Array<{ percentile: number; ms: number }>>>;
  /** Per-second throughput and latency, for charts (autocannon only). */
  timeline?: TimelinePoint[];
}

export function emptyStats(): GroupStats {
  return {
    requests: 0,
    responses: 0,
    failures: 0,
    failureRate: 0,
    rps: 0,
    min: 0,
    mean: 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    max: 0,
  };
}

export function evaluateThresholds(
  thresholds: readonly Threshold[],
  summary: Pick<RunSummary, "overall" | "byResourceType">,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const stats = t.scope === "overall" ? summary.overall : summary.byResourceType[t.scope];
    const description = describeThreshold(t);
    // A group without responses cannot show that its latency target was met.
    const samples = t.stat === "failureRate" || t.stat === "rps" ? stats?.requests : stats?.responses;
    if (!stats || !samples) {
      return { ...t, description, actual: null, ok: t.stat === "failureRate" };
    }
    const actual = stats[t.stat];
    const ok =
      t.stat === "failureRate" ? actual <= t.limit : t.stat === "rps" ? actual > t.limit : actual < t.limit;
    return { ...t, description, actual, ok };
  });
}
