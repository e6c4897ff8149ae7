/**
 * HAProxy's built-in Prometheus exporter (job `haproxy`), the series the alerts, dashboards and
 * promtool scenarios read. Each exists with the same labels and meaning on HAProxy 2.6 (Debian,
 * the native twin) and 3.x (the images): checked against 2.6's /metrics and 3.x's promex source.
 * Status gauges carry one series per `state` label value (since 2.4), 1 for the current state.
 */
export const HAPROXY_METRICS = {
  /** Per backend (`proxy`): servers UP with a non-zero weight, the ones that get requests. */
  activeServers: "haproxy_backend_active_servers",
  /** Per server: DOWN, UP, MAINT (also a server-template slot or a name without DNS record), DRAIN, NOLB. */
  serverStatus: "haproxy_server_status",
  /** Per backend: HTTP requests, and responses by `code` class (1xx ... 5xx, other). */
  backendRequests: "haproxy_backend_http_requests_total",
  backendResponses: "haproxy_backend_http_responses_total",
  /** Per backend: requests waiting for a free server (none UP, or all at maxconn). */
  currentQueue: "haproxy_backend_current_queue",
  /** Per backend: connection retries, and requests sent to another server after a failure. */
  retries: "haproxy_backend_retry_warnings_total",
  redispatches: "haproxy_backend_redispatch_warnings_total",
} as const;

/** The `state` values of HAProxy's server status gauge. */
export const HAPROXY_SERVER_STATES = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"] as const;
export type HaproxyServerState = (typeof HAPROXY_SERVER_STATES)[number];
