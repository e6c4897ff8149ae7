/**
 * The stack's components as Prometheus and Alertmanager know them (CONTRACT.md "Ports and
 * Prometheus jobs"): scrape job names, the `service` label alerts carry, the scrape interval
 * and the flags every Prometheus of the stack runs with.
 */

/** Prometheus `job` names, one per scrape config in infra/prometheus/prometheus.yml. */
export const JOBS = {
  service: "mcp-resource-service",
  redis: "redis",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
} as const;

/**
 * The `service` label every alert carries; inhibition groups alerts by it. The monitoring
 * components are named by their jobs, as ScrapeTargetDown labels them.
 */
export const SERVICES = {
  resource: "mcp-resource-service",
  redis: "redis",
  prometheus: JOBS.prometheus,
  alertmanager: JOBS.alertmanager,
} as const;

/** Global scrape and evaluation interval of infra/prometheus/prometheus.yml. */
export const SCRAPE_INTERVAL = "15s";

/**
 * Flags every Prometheus of this stack runs with (compose, native stack, tests): k6 writes
 * its results through the remote-write receiver, and exemplars link latency to traces.
 * Both exist in the pinned Prometheus 3.x and in 2.x (exemplar storage is still behind a
 * feature flag in 3.x; the remote-write receiver is a flag of its own since 2.33).
 */
export const PROMETHEUS_FEATURE_FLAGS = [
  "--web.enable-remote-write-receiver",
  "--enable-feature=exemplar-storage",
] as const;
