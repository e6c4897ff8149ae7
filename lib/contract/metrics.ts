/**
 * The service's metrics as the contract names them: names, label values and buckets. The
 * service registers them, the rules and dashboards query them, load tests and drills read
 * them back; all import them from here.
 */

export const METRICS = {
  loadingLatency: "mcp_resource_loading_latency_seconds",
  cacheLatency: "mcp_resource_cache_latency_seconds",
  cacheHits: "mcp_resource_cache_hits_total",
  cacheMisses: "mcp_resource_cache_misses_total",
  cacheErrors: "mcp_resource_cache_errors_total",
  cacheUp: "mcp_resource_cache_up",
  fileReads: "mcp_resource_file_reads_total",
  httpDuration: "http_request_duration_seconds",
  // Beyond the contract: the in-process tier in front of Redis (LOCAL_CACHE_MAX_MB),
  localLookups: "mcp_resource_local_cache_lookups_total",
  localDrops: "mcp_resource_local_cache_drops_total",
  localEntries: "mcp_resource_local_cache_entries",
  localBytes: "mcp_resource_local_cache_bytes",
  // the cache's health and what it refuses,
  cacheWritesSkipped: "mcp_resource_cache_writes_skipped_total",
  cacheInvalidEntries: "mcp_resource_cache_invalid_entries_total",
  cachePings: "mcp_resource_cache_pings_total",
  // and the bounds on work the service accepts.
  httpConnectionsDropped: "mcp_resource_http_connections_dropped_total",
  inflightRequests: "mcp_resource_inflight_requests",
  overloadRejections: "mcp_resource_overload_rejections_total",
  mcpLimited: "mcp_resource_mcp_limited_total",
} as const;

export const CACHE_RESULTS = ["hit", "miss"] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];

export const CACHE_OPERATIONS = ["get", "set"] as const;
export type CacheOperation = (typeof CACHE_OPERATIONS)[number];

/**
 * Buckets for end-to-end resource loading. The runbook's 10/50/100/200/500/1000 ms are
 * kept so its PromQL and thresholds line up with bucket edges; the finer ones below 10 ms
 * are where a warm cache actually lives, so quantiles there are not one-bucket guesses.
 */
export const LOADING_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
  1, 2.5,
] as const;

/** The runbook's 1/5/10/50/100 ms, plus sub-millisecond edges for a loopback Redis. */
export const CACHE_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
] as const;

export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5] as const;

/**
 * Route templates (the `route` label of http_request_duration_seconds) that serve resources:
 * the REST routes and the MCP endpoint. /metrics, /healthz, /readyz and "unmatched" are not
 * user traffic and stay out of error ratios and the availability SLO.
 */
export const RESOURCE_ROUTE_REGEX = "/mcp(/.*)?";
