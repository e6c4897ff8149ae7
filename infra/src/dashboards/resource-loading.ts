import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { METRICS } from "../../../lib/contract/metrics.js";
import { HAPROXY_BACKENDS, JOBS } from "../../../lib/contract/stack.js";
import { HAPROXY_METRICS } from "../haproxy-metrics.js";
import { TARGETS } from "../performance-targets.js";
import { eq, matchers } from "../promql.js";
import type { RuleParams } from "../rule-params.js";
import type { RuleSet } from "../rules/index.js";
import { WATCHDOG_ALERT } from "../rules/self-monitoring.js";
import { sloRecordNames } from "../rules/slo.js";
import { assembleDashboard } from "./assemble.js";
import { LATENCY_THRESHOLDS, stat, stateTimeline, timeseries, ZERO_TOLERANCE } from "./panels.js";

const SERVICE = matchers(eq("job", JOBS.service));
const REDIS = matchers(eq("job", JOBS.redis));
const PROMETHEUS = matchers(eq("job", JOBS.prometheus));
const ALERTMANAGER = matchers(eq("job", JOBS.alertmanager));
/** HAProxy's backend in front of the replicas. */
const SERVICE_BACKEND = matchers(eq("job", JOBS.balancer), eq("proxy", HAPROXY_BACKENDS.service));
/** Firing alerts that mean something is wrong: the Watchdog fires by design. */
const FIRING_BUT_WATCHDOG = matchers(
  eq("alertstate", "firing"),
  `alertname!=${JSON.stringify(WATCHDOG_ALERT)}`,
);
const RATE = "$__rate_interval";

const HIT_RATIO_THRESHOLDS = [
  { value: null, color: "red" },
  { value: TARGETS.cacheHitRatioMin, color: "green" },
];

/**
 * "Resource loading": the runbook's queries (through the recording rules the alerts use),
 * the SLOs, Redis as the exporter sees it, and the Node runtime underneath.
 */
export function resourceLoadingDashboard(rules: RuleSet, params: RuleParams): Dashboard {
  const n = rules.names;
  const pageWindows = params.burnRateWindows.map((w) => w.longWindow);
  const shortest = params.burnRateWindows.map((w) => w.shortWindow)[0] ?? params.rateWindow;

  const overview = [
    stat({
      title: "p95 latency",
      description: "p95 of resource loading over all resources; runbook target < 100 ms.",
      queries: [{ expr: n.latency(0.95, "overall") }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    stat({
      title: "p99 latency",
      description: "p99 of resource loading over all resources; runbook target < 200 ms.",
      queries: [{ expr: n.latency(0.99, "overall") }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    stat({
      title: "Cache hit rate",
      description: "Share of lookups answered from Redis; below 50% the runbook says check TTL and Redis.",
      queries: [{ expr: n.hitRatio.overall }],
      unit: "percentunit",
      thresholds: HIT_RATIO_THRESHOLDS,
    }),
    stat({
      title: "Request rate",
      description: "Resource loads per second (runbook throughput target > 500 req/s under load).",
      queries: [{ expr: n.loadRate.overall }],
      unit: "reqps",
    }),
    stat({
      title: "5xx error ratio",
      description: "Share of resource requests answered with a 5xx; the runbook's failure-rate target is 0%.",
      queries: [{ expr: n.errorRatio }],
      unit: "percentunit",
      thresholds: ZERO_TOLERANCE,
    }),
    stat({
      title: "Firing alerts",
      description:
        "Alerts of this Prometheus currently firing, the always-firing Watchdog heartbeat left out.",
      queries: [{ expr: `count(ALERTS${FIRING_BUT_WATCHDOG}) or vector(0)` }],
      thresholds: [
        { value: null, color: "green" },
        { value: 1, color: "red" },
      ],
    }),
    stateTimeline({
      title: "Alert states",
      description: "Pending and firing alerts over time, by alert name (the Watchdog heartbeat left out).",
      queries: [
        {
          expr: `max by (alertname) (ALERTS${FIRING_BUT_WATCHDOG} * 2 or ALERTS${matchers(eq("alertstate", "pending"))})`,
          legend: "{{alertname}}",
        },
      ],
      states: { 1: { text: "pending", color: "orange" }, 2: { text: "firing", color: "red" } },
    }),
  ];

  const latency = [
    timeseries({
      title: "Latency p50 / p95 / p99 (all resources)",
      description:
        "The runbook's combined percentiles. Dashed lines: 100 ms (p95 target) and 200 ms (p99 target).",
      queries: [
        { expr: n.latency(0.5, "overall"), legend: "p50" },
        { expr: n.latency(0.95, "overall"), legend: "p95" },
        { expr: n.latency(0.99, "overall"), legend: "p99" },
      ],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "p95 by resource type",
      description: "p95 per resource type (sdlc, patterns, templates).",
      queries: [{ expr: n.latency(0.95, "byType"), legend: "{{resource_type}}" }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "p95 by resource type and cache result",
      description:
        "The runbook's hit-vs-miss comparison: a miss reads the file from disk and fills the cache.",
      queries: [{ expr: n.latency(0.95, "byTypeAndResult"), legend: "{{resource_type}} {{cache_result}}" }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "p95 with trace exemplars",
      description:
        "p95 from the raw histogram, with exemplars: each dot is a sampled request whose trace opens in Jaeger " +
        "(needs tracing on: OTEL_EXPORTER_OTLP_ENDPOINT).",
      queries: [
        {
          expr: `histogram_quantile(0.95, sum by (le) (rate(${METRICS.loadingLatency}_bucket${SERVICE}[$__rate_interval])))`,
          legend: "p95",
          exemplar: true,
        },
      ],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "p99 by resource type",
      description: "Tail latency per resource type; see the runbook's 'High p99' troubleshooting.",
      queries: [{ expr: n.latency(0.99, "byType"), legend: "{{resource_type}}" }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
  ];

  const cache = [
    timeseries({
      title: "Cache hit rate",
      description: "Overall and per resource type. Red below 50%.",
      queries: [
        { expr: n.hitRatio.overall, legend: "all" },
        { expr: n.hitRatio.byType, legend: "{{resource_type}}" },
      ],
      unit: "percentunit",
      min: 0,
      max: 1,
      thresholds: HIT_RATIO_THRESHOLDS,
    }),
    timeseries({
      title: "Loads per second by type and cache result",
      description: "The runbook's request rate, split by resource type and hit/miss.",
      queries: [{ expr: n.loadRate.byTypeAndResult, legend: "{{resource_type}} {{cache_result}}" }],
      unit: "reqps",
      stacked: true,
    }),
    timeseries({
      title: "Cache lookup latency p95 / p99",
      description: "Redis GET latency as the service measures it; above 5 ms check the connection (runbook).",
      queries: [
        { expr: n.cacheLatency(0.95), legend: "p95 {{cache_result}}" },
        { expr: n.cacheLatency(0.99), legend: "p99 {{cache_result}}" },
      ],
      unit: "s",
      thresholds: [
        { value: null, color: "green" },
        { value: 0.005, color: "orange" },
      ],
      width: 8,
    }),
    timeseries({
      title: "Cache errors by operation",
      description: "Failed or timed-out Redis operations; each failed get is served from disk.",
      queries: [
        {
          expr: `sum by (operation) (rate(${METRICS.cacheErrors}${SERVICE}[${RATE}]))`,
          legend: "{{operation}}",
        },
      ],
      unit: "ops",
      width: 8,
    }),
    timeseries({
      title: "Disk reads (cache fills) by type",
      description: "Resource files read from disk: every miss, and every lookup while Redis is away.",
      queries: [
        {
          expr: `sum by (resource_type) (rate(${METRICS.fileReads}${SERVICE}[${RATE}]))`,
          legend: "{{resource_type}}",
        },
      ],
      unit: "ops",
      width: 8,
    }),
    timeseries({
      title: "In-process tier: lookups and drops",
      description:
        "Lookups answered in process (a Redis hit without the round trip) vs passed on to Redis, and entries " +
        "dropped by reason: invalidated/flushed = Redis tracking reported a change, disconnected = the " +
        "connection (and with it tracking) was lost. Empty when LOCAL_CACHE_MAX_MB=0.",
      queries: [
        {
          expr: `sum by (result) (rate(${METRICS.localLookups}${SERVICE}[${RATE}]))`,
          legend: "lookup {{result}}",
        },
        {
          expr: `sum by (reason) (rate(${METRICS.localDrops}${SERVICE}[${RATE}]))`,
          legend: "dropped: {{reason}}",
        },
      ],
      unit: "ops",
      width: 8,
    }),
    timeseries({
      title: "In-process tier size",
      description: "Body bytes held in process, all encodings, per instance (bounded by LOCAL_CACHE_MAX_MB).",
      queries: [{ expr: `${METRICS.localBytes}${SERVICE}`, legend: "{{instance}}" }],
      unit: "bytes",
      width: 8,
    }),
    stateTimeline({
      title: "Cache connection",
      description: "mcp_resource_cache_up: the service's Redis connection state.",
      queries: [{ expr: `min(${METRICS.cacheUp}${SERVICE})`, legend: "redis connection" }],
      states: { 0: { text: "down", color: "red" }, 1: { text: "up", color: "green" } },
      height: 4,
    }),
  ];

  const http = [
    timeseries({
      title: "HTTP requests by route and status",
      description: "Route templates, never raw paths.",
      queries: [{ expr: n.httpRequestRate, legend: "{{route}} {{status_code}}" }],
      unit: "reqps",
    }),
    timeseries({
      title: "5xx error ratio (resource routes)",
      description: "The runbook's failure rate; any value above 0 fires ResourceRequestErrors.",
      queries: [{ expr: n.errorRatio, legend: "5xx ratio" }],
      unit: "percentunit",
      thresholds: ZERO_TOLERANCE,
    }),
  ];

  const slo = [
    timeseries({
      title: "Error budget burn rate",
      description:
        "SLI error ratio divided by the error budget: 1 spends the budget exactly over the SLO period.",
      queries: pageWindows.map((w) => ({
        expr: `${sloRecordNames.errorRatio(w)} / on (slo) ${sloRecordNames.errorBudget}`,
        legend: `{{slo}} ${w}`,
      })),
      thresholds: [
        { value: null, color: "green" },
        ...params.burnRateWindows
          .map((w) => w.burnRate)
          .sort((a, b) => a - b)
          .map((burnRate, i) => ({
            value: burnRate,
            color: ["yellow", "orange", "red", "purple"][i] ?? "red",
          })),
      ],
    }),
    timeseries({
      title: `SLI error ratio (${shortest}) vs error budget`,
      description: "Bad events as a share of all events, next to the budget the objective allows.",
      queries: [
        { expr: sloRecordNames.errorRatio(shortest), legend: "{{slo}} error ratio" },
        { expr: sloRecordNames.errorBudget, legend: "{{slo}} budget" },
      ],
      unit: "percentunit",
    }),
  ];

  const redis = [
    timeseries({
      title: "Redis memory used vs maxmemory",
      description: "At maxmemory Redis evicts (allkeys-lfu); see the runbook's RedisEvictingKeys.",
      queries: [
        { expr: `redis_memory_used_bytes${REDIS}`, legend: "used" },
        { expr: `redis_memory_max_bytes${REDIS}`, legend: "maxmemory" },
      ],
      unit: "bytes",
      width: 8,
    }),
    timeseries({
      title: "Redis evictions and expirations",
      description: "Evictions mean the cache is too small; expirations are TTLs running out (normal).",
      queries: [
        { expr: n.redisEvictionRate, legend: "evicted/s" },
        { expr: `sum(rate(redis_expired_keys_total${REDIS}[${RATE}]))`, legend: "expired/s" },
      ],
      unit: "ops",
      width: 8,
      thresholds: ZERO_TOLERANCE,
    }),
    timeseries({
      title: "Redis keyspace hit ratio",
      description: "Hits / (hits + misses) as Redis counts them, for all clients.",
      queries: [{ expr: n.redisHitRatio, legend: "hit ratio" }],
      unit: "percentunit",
      min: 0,
      max: 1,
      width: 8,
    }),
    timeseries({
      title: "Redis commands per second",
      description:
        "Command throughput; flat while the service serves traffic means Redis is out of the path.",
      queries: [{ expr: `sum(rate(redis_commands_processed_total${REDIS}[${RATE}]))`, legend: "commands/s" }],
      unit: "ops",
    }),
    timeseries({
      title: "Redis connected clients and up",
      description: "redis_up is the exporter's view of Redis; clients include the service's connection.",
      queries: [
        { expr: `redis_connected_clients${REDIS}`, legend: "clients" },
        { expr: `redis_up${REDIS}`, legend: "up" },
      ],
    }),
  ];

  const runtime = [
    timeseries({
      title: "Event-loop lag p99",
      description: "A blocked event loop delays every request; the dashed line is the 100 ms p95 target.",
      queries: [{ expr: `nodejs_eventloop_lag_p99_seconds${SERVICE}`, legend: "{{instance}}" }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "GC time share by kind",
      description: "Seconds of GC per second (the runbook's 'garbage collection pauses').",
      queries: [
        {
          expr: `sum by (kind) (rate(nodejs_gc_duration_seconds_sum${SERVICE}[${RATE}]))`,
          legend: "{{kind}}",
        },
      ],
      unit: "percentunit",
    }),
    timeseries({
      title: "Memory",
      description: "Heap used and total, and resident set size.",
      queries: [
        { expr: `sum(nodejs_heap_size_used_bytes${SERVICE})`, legend: "heap used" },
        { expr: `sum(nodejs_heap_size_total_bytes${SERVICE})`, legend: "heap total" },
        { expr: `sum(process_resident_memory_bytes${SERVICE})`, legend: "rss" },
      ],
      unit: "bytes",
    }),
    timeseries({
      title: "CPU",
      description: "CPU seconds per second (1 = one core).",
      queries: [{ expr: `sum(rate(process_cpu_seconds_total${SERVICE}[${RATE}]))`, legend: "cpu" }],
      unit: "percentunit",
    }),
  ];

  const selfMonitoring = [
    stat({
      title: "Watchdog heartbeat",
      description:
        "1 while this Prometheus fires the Watchdog, whose notifications go to the watchdog receiver about once a minute. " +
        "Whether they arrive only a dead man's switch outside the stack can tell (runbook: Watchdog).",
      queries: [
        {
          expr: `count(ALERTS${matchers(eq("alertname", WATCHDOG_ALERT), eq("alertstate", "firing"))}) or vector(0)`,
        },
      ],
      thresholds: [
        { value: null, color: "red" },
        { value: 1, color: "green" },
      ],
    }),
    timeseries({
      title: "Alert notifications failing",
      description:
        "Alerts Prometheus failed to hand to Alertmanager, and notifications Alertmanager failed to deliver, per second. " +
        "Above zero: alerts fire and reach nobody.",
      queries: [
        {
          expr: `sum by (alertmanager) (rate(prometheus_notifications_errors_total${PROMETHEUS}[${RATE}]))`,
          legend: "prometheus → {{alertmanager}}",
        },
        {
          expr: `sum by (integration) (rate(alertmanager_notifications_failed_total${ALERTMANAGER}[${RATE}]))`,
          legend: "alertmanager → {{integration}}",
        },
      ],
      unit: "ops",
      width: 10,
      thresholds: ZERO_TOLERANCE,
    }),
    timeseries({
      title: "Rule evaluation failures",
      description:
        "Failed rule evaluations per second by group: that group's alerts and recorded series are blind.",
      queries: [
        {
          expr: `sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total${PROMETHEUS}[${RATE}]))`,
          legend: "{{rule_group}}",
        },
      ],
      unit: "ops",
      width: 10,
      thresholds: ZERO_TOLERANCE,
    }),
    stateTimeline({
      title: "Configuration reloads",
      description:
        "Whether the last reload of each configuration succeeded; a failed one keeps the previous configuration running.",
      queries: [
        { expr: `min(prometheus_config_last_reload_successful${PROMETHEUS})`, legend: "prometheus" },
        { expr: `min(alertmanager_config_last_reload_successful${ALERTMANAGER})`, legend: "alertmanager" },
      ],
      states: { 0: { text: "failed", color: "red" }, 1: { text: "ok", color: "green" } },
      height: 4,
    }),
  ];

  // Per replica (`instance`) and as HAProxy routes to them. Every HAProxy series here exists on
  // 2.6 and 3.x (haproxy-metrics.ts). Empty where no HAProxy is scraped (the Helm chart).
  const replicas = [
    stat({
      title: "Replicas answering",
      description:
        "Replicas whose /metrics Prometheus scraped successfully (each replica is one target of the job).",
      queries: [{ expr: `${n.replicasUp}${SERVICE}` }],
    }),
    stat({
      title: "Replicas in HAProxy rotation",
      description:
        "Servers HAProxy counts UP in the service backend: they pass /readyz. Fewer than the replicas answering: some are starting, draining or not ready.",
      queries: [{ expr: `${HAPROXY_METRICS.activeServers}${SERVICE_BACKEND}` }],
      thresholds: [
        { value: null, color: "red" },
        { value: 1, color: "green" },
      ],
    }),
    stateTimeline({
      title: "Replica up (Prometheus' scrapes)",
      description:
        "up per replica. With dns_sd (compose) a stopped replica leaves discovery and its row ends; with file_sd (native twin) it shows down.",
      queries: [{ expr: `up${SERVICE}`, legend: "{{instance}}" }],
      states: { 0: { text: "down", color: "red" }, 1: { text: "up", color: "green" } },
      width: 16,
      height: 4,
    }),
    timeseries({
      title: "Requests per replica",
      description:
        "HTTP requests each replica answered: HAProxy's round robin keeps them even while all are ready.",
      queries: [
        {
          expr: `sum by (instance) (rate(${METRICS.httpDuration}_count${SERVICE}[${RATE}]))`,
          legend: "{{instance}}",
        },
      ],
      unit: "reqps",
    }),
    timeseries({
      title: "p95 latency per replica",
      description:
        "p95 of resource loading per replica, from its own buckets: one slow replica shows here before the overall p95 moves.",
      queries: [
        {
          expr: `histogram_quantile(0.95, sum by (instance, le) (rate(${METRICS.loadingLatency}_bucket${SERVICE}[${RATE}])))`,
          legend: "{{instance}}",
        },
      ],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "HAProxy: requests and responses (service backend)",
      description:
        "What users got through the balancer, by response class; 5xx here without 5xx on a replica are HAProxy's own (no replica in rotation, timeouts).",
      queries: [
        {
          expr: `sum(rate(${HAPROXY_METRICS.backendRequests}${SERVICE_BACKEND}[${RATE}]))`,
          legend: "requests",
        },
        {
          expr: `sum by (code) (rate(${HAPROXY_METRICS.backendResponses}${SERVICE_BACKEND}[${RATE}]))`,
          legend: "{{code}}",
        },
      ],
      unit: "reqps",
    }),
    timeseries({
      title: "HAProxy: queue, retries and redispatches (service backend)",
      description:
        "Requests waiting for a replica, connection retries, and requests sent to another replica after one failed (a replica dying mid-flight).",
      queries: [
        { expr: `sum(${HAPROXY_METRICS.currentQueue}${SERVICE_BACKEND})`, legend: "queued" },
        { expr: `sum(rate(${HAPROXY_METRICS.retries}${SERVICE_BACKEND}[${RATE}]))`, legend: "retries/s" },
        {
          expr: `sum(rate(${HAPROXY_METRICS.redispatches}${SERVICE_BACKEND}[${RATE}]))`,
          legend: "redispatches/s",
        },
      ],
      thresholds: ZERO_TOLERANCE,
    }),
  ];

  return assembleDashboard({
    runbookBaseUrl: rules.runbookBaseUrl,
    uid: "mcp-resource-loading",
    title: "Resource loading",
    description:
      "MCP resource loading performance (docs/runbook.md): latency targets, cache, errors, SLOs, Redis, Node runtime, the monitoring itself, and the replicas behind HAProxy.",
    tags: ["sdlc-resource-stack", "mcp", "runbook"],
    rows: [
      { title: "Overview", panels: overview },
      { title: "Resource loading latency", panels: latency },
      { title: "Cache", panels: cache },
      { title: "HTTP", panels: http },
      { title: "SLOs", panels: slo },
      { title: "Redis", panels: redis },
      { title: "Node.js runtime", panels: runtime },
      { title: "Self-monitoring", panels: selfMonitoring },
      // Last, so the ids (viewPanel=N links) of the rows above stay what they were.
      { title: "Replicas", panels: replicas },
    ],
  });
}
