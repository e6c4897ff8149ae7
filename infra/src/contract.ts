/**
 * Names fixed by /work/shared/CONTRACT.md (jobs, ports, metric names, routes) and the
 * stack-wide constants derived from them. Everything generated imports these, so a rename
 * happens here once.
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

export const RESOURCE_TYPES = ["sdlc", "patterns", "templates"] as const;
export const CACHE_RESULTS = ["hit", "miss"] as const;

/**
 * Route templates (the `route` label of http_request_duration_seconds) that serve resources:
 * the REST routes and the MCP endpoint. /metrics, /healthz, /readyz and "unmatched" are not
 * user traffic and stay out of error ratios and the availability SLO.
 */
export const RESOURCE_ROUTE_REGEX = "/mcp(/.*)?";

export const METRICS = {
  loadingLatency: "mcp_resource_loading_latency_seconds",
  cacheLatency: "mcp_resource_cache_latency_seconds",
  cacheHits: "mcp_resource_cache_hits_total",
  cacheMisses: "mcp_resource_cache_misses_total",
  cacheErrors: "mcp_resource_cache_errors_total",
  cacheUp: "mcp_resource_cache_up",
  fileReads: "mcp_resource_file_reads_total",
  httpDuration: "http_request_duration_seconds",
  // Beyond the contract: the in-process tier in front of Redis (LOCAL_CACHE_MAX_MB).
  localLookups: "mcp_resource_local_cache_lookups_total",
  localDrops: "mcp_resource_local_cache_drops_total",
  localBytes: "mcp_resource_local_cache_bytes",
} as const;

/** Grafana's provisioned Prometheus datasource; dashboards reference it by this fixed uid. */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

/** Grafana's provisioned Jaeger datasource, the target of exemplar links. */
export const JAEGER_DATASOURCE = { type: "jaeger", uid: "jaeger" } as const;

/** In-cluster (docker compose) address of Jaeger's query API. */
export const JAEGER_COMPOSE_URL = "http://jaeger:16686";

/** In-cluster (docker compose) address of Prometheus, used by the Grafana datasource. */
export const PROMETHEUS_COMPOSE_URL = "http://prometheus:9090";

/** Global scrape and evaluation interval of infra/prometheus/prometheus.yml (issue 3: 15 s). */
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

/** Where Grafana's file provider reads dashboards; compose mounts infra/grafana/dashboards here. */
export const GRAFANA_DASHBOARDS_PATH = "/var/lib/grafana/dashboards";
