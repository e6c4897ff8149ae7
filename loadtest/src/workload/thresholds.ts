/** The runbook's thresholds, per profile and gate, with overrides. k6 loads it. */
import { RESOURCE_TYPES, type ResourceType } from "../../../lib/contract/resource-kinds.ts";
import { round } from "./numbers.ts";
import type { Profile } from "./profiles.ts";

export type Stat = "failureRate" | "p50" | "p95" | "p99" | "rps";
export type Scope = "overall" | ResourceType;

export interface Threshold {
  readonly scope: Scope;
  readonly stat: Stat;
  /** `failureRate <= limit`, `pNN < limit` (ms), `rps > limit`. */
  readonly limit: number;
  readonly source: string;
  /** False: evaluated and reported, but a breach does not fail the run (see GATES). */
  readonly gating: boolean;
}

/** The runbook's "Cache Warm" table, per resource type (ms). */
export const WARM_TARGETS: Readonly<Record<ResourceType, { p95: number; p99: number }>> = {
  sdlc: { p95: 15, p99: 30 },
  patterns: { p95: 30, p99: 60 },
  templates: { p95: 50, p99: 100 },
};

/** The runbook's key metrics: 0% failures, p50 < 50 ms, p95 < 100 ms, p99 < 200 ms. */
export const OVERALL_TARGETS = { failureRate: 0, p50: 50, p95: 100, p99: 200 } as const;

export function thresholdsFor(profile: Pick<Profile, "minRps">): Threshold[] {
  const list: Threshold[] = [
    {
      scope: "overall",
      stat: "failureRate",
      limit: OVERALL_TARGETS.failureRate,
      source: "runbook key metrics: 0% failures",
      gating: true,
    },
    {
      scope: "overall",
      stat: "p50",
      limit: OVERALL_TARGETS.p50,
      source: "runbook key metrics",
      gating: true,
    },
    {
      scope: "overall",
      stat: "p95",
      limit: OVERALL_TARGETS.p95,
      source: "runbook key metrics",
      gating: true,
    },
    {
      scope: "overall",
      stat: "p99",
      limit: OVERALL_TARGETS.p99,
      source: "runbook key metrics",
      gating: true,
    },
  ];
  for (const type of RESOURCE_TYPES) {
    for (const stat of ["p95", "p99"] as const) {
      list.push({
        scope: type,
        stat,
        limit: WARM_TARGETS[type][stat],
        source: "runbook cache-warm table",
        gating: true,
      });
    }
  }
  if (profile.minRps !== undefined) {
    list.push({
      scope: "overall",
      stat: "rps",
      limit: profile.minRps,
      source: "runbook: > 500 req/s",
      gating: true,
    });
  }
  return list;
}

/**
 * Which thresholds fail a run. `all`: every one (the default for every profile). `ci`: the
 * runbook's "Quick Performance Check" acceptance only (0% failures, overall p95 < 100 ms);
 * the others are still evaluated and reported as warnings. Overrides always gate.
 */
export const GATES = ["all", "ci"] as const;
export type Gate = (typeof GATES)[number];

export function applyGate(list: readonly Threshold[], gate: string): Threshold[] {
  if (gate === "all") return list.map((t) => ({ ...t, gating: true }));
  if (gate === "ci") {
    return list.map((t) => ({
      ...t,
      gating:
        t.source === "override" || (t.scope === "overall" && (t.stat === "failureRate" || t.stat === "p95")),
    }));
  }
  throw new Error(`unknown gate "${gate}"; one of: ${GATES.join(", ")}`);
}

const STATS: readonly Stat[] = ["failureRate", "p50", "p95", "p99", "rps"];

/**
 * Applies overrides like "p95=80", "sdlc.p99=40", "failureRate=0.01", "rps=off" (comma or
 * space separated) to a threshold list. "off" removes that threshold.
 */
export function applyThresholdOverrides(base: readonly Threshold[], spec: string | undefined): Threshold[] {
  let list = base.slice();
  if (!spec || spec.trim() === "") return list;
  for (const part of spec.split(/[\s,]+/)) {
    if (part === "") continue;
    const m =
      /^(?:(overall|sdlc|patterns|templates)\.)?(failureRate|p50|p95|p99|rps)=(off|\d+(?:\.\d+)?)$/.exec(
        part,
      );
    if (!m) {
      throw new Error(
        `invalid threshold override "${part}" (examples: p95=80, sdlc.p99=40, failureRate=0.01, rps=off; stats: ${STATS.join(", ")})`,
      );
    }
    const scope = (m[1] ?? "overall") as Scope;
    const stat = m[2] as Stat;
    list = list.filter((t) => !(t.scope === scope && t.stat === stat));
    if (m[3] !== "off") list.push({ scope, stat, limit: Number(m[3]), source: "override", gating: true });
  }
  return list;
}

/** The thresholds a run evaluates: the profile's, under a gate, with overrides applied. */
export function resolveThresholds(
  profile: Pick<Profile, "minRps">,
  gate: string = "all",
  overrides: string | undefined = undefined,
): Threshold[] {
  return applyThresholdOverrides(applyGate(thresholdsFor(profile), gate), overrides);
}

export function describeThreshold(t: Pick<Threshold, "stat" | "limit">): string {
  switch (t.stat) {
    case "failureRate":
      return t.limit === 0 ? "failure rate == 0%" : `failure rate <= ${round(t.limit * 100, 3)}%`;
    case "rps":
      return `throughput > ${t.limit} req/s`;
    default:
      return `${t.stat} < ${t.limit} ms`;
  }
}
