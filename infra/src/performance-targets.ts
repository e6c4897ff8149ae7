/**
 * The runbook's numbers (seed runbook: "Performance Target", "Key Metrics", Troubleshooting)
 * as constants, so alerts, dashboards thresholds and docs agree on one value each.
 */
export const TARGETS = {
  /** "<100ms p95 latency for resource loading" */
  latencyP95Seconds: 0.1,
  /** "Response Time p99: 99th percentile (target: <200ms)" */
  latencyP99Seconds: 0.2,
  /** "Check cache hit rate ... If <50%: Increase cache TTL or verify Redis is running" */
  cacheHitRatioMin: 0.5,
  /**
   * Minimum-traffic guard (requests/s over the alert's window). Below it a handful of
   * requests decides a ratio or a quantile, and an idle or demo service must not page.
   */
  minRequestRate: 1,
  /**
   * Share of cache fills whose write to Redis fails, Redis being reachable, above which the
   * cache is not refilling: a refusing Redis (OOM at maxmemory, a read-only replica) fails
   * every write, write timeouts on a saturated service a few percent.
   */
  cacheWriteFailureRatioMax: 0.1,
  /** Share of alert notifications Prometheus fails to deliver (kube-prometheus: 3%). */
  notificationErrorRatioMax: 0.03,
  /** Share of notifications Alertmanager fails to deliver per integration (kube-prometheus: 1%). */
  alertmanagerNotificationFailureRatioMax: 0.01,
} as const;

export interface SloDefinition {
  /** Value of the `slo` label on SLI recording rules and SLO alerts. */
  readonly name: string;
  /** Fraction of good events over the SLO period. */
  readonly objective: number;
  readonly description: string;
}

/** "p95 < 100 ms" restated as an SLO: 95% of resource loads complete in under 100 ms. */
export const LATENCY_SLO: SloDefinition = {
  name: "resource-loading-latency",
  objective: 0.95,
  description: "95% of resource loads complete in under 100 ms",
};

/** "Failure Rate: target 0%", with a budget an SLO can burn: 99.9% of requests are not 5xx. */
export const AVAILABILITY_SLO: SloDefinition = {
  name: "resource-availability",
  objective: 0.999,
  description: "99.9% of requests to resource routes do not fail with a 5xx",
};

/** 1 - objective without binary floating-point noise (1 - 0.999 = 0.0010000000000000009). */
export function errorBudget(slo: SloDefinition): number {
  return Number((1 - slo.objective).toPrecision(12));
}
