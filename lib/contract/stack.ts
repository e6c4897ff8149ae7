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
  /** HAProxy's built-in exporter: the balancer in front of the replicas and Redis. */
  balancer: "haproxy",
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

/** Service replicas `docker compose up` and the native twin run by default. */
export const DEFAULT_SERVICE_REPLICAS = 2;

/**
 * How Redis runs: one server (the default for `docker compose up`), or one master, two
 * replicas and three sentinels, reached through HAProxy's `role:master` backend.
 */
export const REDIS_TOPOLOGIES = ["single", "sentinel"] as const;
export type RedisTopology = (typeof REDIS_TOPOLOGIES)[number];

/** The name Sentinel monitors the master under (infra/redis/sentinel.conf). */
export const SENTINEL_MASTER_NAME = "resource-cache";
/** Sentinel's port (CONTRACT.md). */
export const SENTINEL_PORT = 26379;

/**
 * HAProxy backends (infra/haproxy/) whose `haproxy_backend_*` series the alerts, dashboards and
 * drills read, as the `proxy` label carries them.
 */
export const HAPROXY_BACKENDS = {
  /** The service replicas behind the published port 8000. */
  service: "mcp-resource-service",
  /** Whichever Redis node answers `role:master`: the one address the service uses. */
  redisMaster: "redis-master",
  /** Every Redis node that answers PING: RedisNodeDown counts these. */
  redisNodes: "redis-nodes",
} as const;

/** HAProxy's stats and Prometheus exporter port (`/metrics`, `/stats`). */
export const HAPROXY_METRICS_PORT = 8404;
