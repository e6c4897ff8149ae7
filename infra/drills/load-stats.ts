/** Summaries of drill traffic: what users saw in one phase of a drill. */
import { RESOURCE_TYPES, type ResourceType } from "../../lib/contract/resource-kinds.js";
import type { LoadSample } from "./load.js";

export interface PhaseStats {
  readonly requests: number;
  readonly failures: number;
  readonly failureRate: number;
  /** Latency percentiles (ms) over the requests that got an answer; 0 when none did. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Answers the service marked X-Cache: MISS, as a fraction of answers with the header. */
  readonly missRatio: number;
}

/** Nearest-rank percentile: the value below which `p`% of the sorted values fall. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

export function phaseStats(samples: readonly LoadSample[]): PhaseStats {
  const answered = samples.filter((s) => s.status !== 0);
  const ms = answered.map((s) => s.ms).sort((a, b) => a - b);
  const failures = samples.filter((s) => s.failure !== undefined).length;
  const tagged = answered.filter((s) => s.cache !== undefined);
  const misses = tagged.filter((s) => s.cache === "miss").length;
  return {
    requests: samples.length,
    failures,
    failureRate: samples.length ? round(failures / samples.length, 4) : 0,
    p50: round(percentile(ms, 50)),
    p95: round(percentile(ms, 95)),
    p99: round(percentile(ms, 99)),
    missRatio: tagged.length ? round(misses / tagged.length, 3) : 0,
  };
}

export function statsByType(samples: readonly LoadSample[]): Record<ResourceType, PhaseStats> {
  const out = {} as Record<ResourceType, PhaseStats>;
  for (const type of RESOURCE_TYPES) out[type] = phaseStats(samples.filter((s) => s.resourceType === type));
  return out;
}

/** Failure reasons and how often each occurred, most frequent first. */
export function failureReasons(samples: readonly LoadSample[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const s of samples) if (s.failure) counts.set(s.failure, (counts.get(s.failure) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}
