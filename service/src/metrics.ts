import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import {
  CACHE_BUCKETS,
  CACHE_OPERATIONS,
  CACHE_RESULTS,
  HTTP_BUCKETS,
  LOADING_BUCKETS,
  METRICS,
} from "../../lib/contract/metrics.js";
import { RESOURCE_TYPES } from "../../lib/contract/resource-kinds.js";
import {
  INVALID_ENTRY_REASONS,
  LOCAL_DROP_REASONS,
  MCP_LIMITS,
  OVERLOAD_SCOPES,
  PROBE_RESULTS,
} from "./metric-labels.js";

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly loadingLatency: Histogram<"resource_type" | "cache_result">;
  readonly cacheLatency: Histogram<"cache_result">;
  readonly cacheHits: Counter<"resource_type">;
  readonly cacheMisses: Counter<"resource_type">;
  readonly cacheErrors: Counter<"operation">;
  readonly cacheUp: Gauge;
  /** Cache writes not attempted, by reason (too_large: over CACHE_MAX_ENTRY_BYTES). */
  readonly skippedWrites: Counter<"reason">;
  /** Values read from Redis that failed verification (served from disk, then overwritten). */
  readonly invalidEntries: Counter<"reason">;
  /** The health PINGs behind cacheUp, by result (ok, timeout, error). */
  readonly cachePings: Counter<"result">;
  readonly httpDuration: Histogram<"method" | "route" | "status_code">;
  readonly fileReads: Counter<"resource_type">;
  /** Connections refused on accept because HTTP_MAX_CONNECTIONS were open. */
  readonly connectionsDropped: Counter;
  /** Requests in progress on the work routes (resource routes and POST /mcp). */
  readonly inflightRequests: Gauge;
  /** Requests refused with 503 by an in-flight bound, by scope (service, mcp). */
  readonly overloadRejections: Counter<"scope">;
  /** MCP calls refused by a per-request bound, by limit (batch_reads, response_bytes). */
  readonly mcpLimited: Counter<"limit">;
  /** In-process tier (RESP3 tracking): lookups by result, drops by reason, size at scrape. */
  readonly localLookups: Counter<"result">;
  readonly localDrops: Counter<"reason">;
  readonly localEntries: Gauge;
  readonly localBytes: Gauge;
}

/** Node's default gauges of what keeps the event loop alive, one series per handle/resource type. */
const ACTIVE_COUNT_FAMILIES = ["nodejs_active_handles", "nodejs_active_requests", "nodejs_active_resources"];

/** What the in-process tier holds, read at scrape time; `undefined` when the tier is off. */
export type LocalTierSize = () => { entries: number; bytes: number } | undefined;

function registered<T extends Histogram<string>>(registry: Registry, metric: T): T {
  registry.registerMetric(metric);
  return metric;
}

/**
 * Creates the contract's metrics on a registry of their own, so that several service
 * instances (tests) can live in one process without clashing in prom-client's global one.
 * `isCacheUp` is read at scrape time: the gauge never drifts from the client's real state.
 * `localTierSize` is given only when the in-process tier is on.
 */
export function createMetrics(isCacheUp: () => boolean, localTierSize?: LocalTierSize): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client also exports the sum of each of these per-type gauges as a gauge named *_total,
  // a suffix Prometheus reserves for counters (promtool check metrics rejects it). The per-type
  // series hold the same counts: the total is sum without (type) (nodejs_active_handles).
  for (const family of ACTIVE_COUNT_FAMILIES) registry.removeSingleMetric(`${family}_total`);

  const resourceTypes = RESOURCE_TYPES;
  const results = CACHE_RESULTS;

  const metrics: ServiceMetrics = {
    registry,
    // Observations made in a sampled trace carry its trace_id as an exemplar (OpenMetrics
    // scrapes only). prom-client refuses exemplars on a registry whose default format is the
    // classic text, so the histogram is registered by hand: /metrics negotiates the format.
    loadingLatency: registered(
      registry,
      new Histogram({
        name: METRICS.loadingLatency,
        help: "Resource loading latency from lookup start to finished response body, by resource type and cache result.",
        labelNames: ["resource_type", "cache_result"],
        buckets: [...LOADING_BUCKETS],
        enableExemplars: true,
        registers: [],
      }),
    ),
    cacheLatency: new Histogram({
      name: METRICS.cacheLatency,
      help: "Redis cache lookup latency, by cache result (errors and timeouts count as miss).",
      labelNames: ["cache_result"],
      buckets: [...CACHE_BUCKETS],
      registers: [registry],
    }),
    cacheHits: new Counter({
      name: METRICS.cacheHits,
      help: "Resource lookups answered from the Redis cache.",
      labelNames: ["resource_type"],
      registers: [registry],
    }),
    cacheMisses: new Counter({
      name: METRICS.cacheMisses,
      help: "Resource lookups not answered from the Redis cache (absent, expired, or Redis unavailable).",
      labelNames: ["resource_type"],
      registers: [registry],
    }),
    cacheErrors: new Counter({
      name: METRICS.cacheErrors,
      help: "Redis cache operations that failed or timed out, by operation.",
      labelNames: ["operation"],
      registers: [registry],
    }),
    cacheUp: new Gauge({
      name: METRICS.cacheUp,
      help: "1 when Redis answers: the connection is ready and the last health PINGs were answered within CACHE_TIMEOUT_MS; 0 otherwise.",
      registers: [registry],
      collect() {
        this.set(isCacheUp() ? 1 : 0);
      },
    }),
    skippedWrites: new Counter({
      name: METRICS.cacheWritesSkipped,
      help: "Cache fills not written to Redis, by reason (too_large: the entry's variants together exceed CACHE_MAX_ENTRY_BYTES).",
      labelNames: ["reason"],
      registers: [registry],
    }),
    invalidEntries: new Counter({
      name: METRICS.cacheInvalidEntries,
      help: "Values read from Redis that failed verification and were treated as misses, by reason (format: not this service's format version or layout; checksum: a variant does not match its CRC-32; etag: the body does not match its ETag; ttl: no TTL).",
      labelNames: ["reason"],
      registers: [registry],
    }),
    cachePings: new Counter({
      name: METRICS.cachePings,
      help: "Health PINGs sent to Redis every CACHE_HEALTH_INTERVAL_MS, by result (ok, timeout: no reply within CACHE_TIMEOUT_MS, error).",
      labelNames: ["result"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: METRICS.httpDuration,
      help: "HTTP request duration by method, route template and status code.",
      labelNames: ["method", "route", "status_code"],
      buckets: [...HTTP_BUCKETS],
      registers: [registry],
    }),
    fileReads: new Counter({
      name: METRICS.fileReads,
      help: "Resource files read from disk (cache fills), by resource type.",
      labelNames: ["resource_type"],
      registers: [registry],
    }),
    connectionsDropped: new Counter({
      name: METRICS.httpConnectionsDropped,
      help: "Connections closed on accept because HTTP_MAX_CONNECTIONS connections were already open.",
      registers: [registry],
    }),
    inflightRequests: new Gauge({
      name: METRICS.inflightRequests,
      help: "Requests in progress on the resource routes and POST /mcp (bounded by MAX_INFLIGHT_REQUESTS).",
      registers: [registry],
    }),
    overloadRejections: new Counter({
      name: METRICS.overloadRejections,
      help: "Requests refused with 503 and Retry-After because too many were in progress, by scope (service: MAX_INFLIGHT_REQUESTS; mcp: MCP_MAX_INFLIGHT).",
      labelNames: ["scope"],
      registers: [registry],
    }),
    mcpLimited: new Counter({
      name: METRICS.mcpLimited,
      help: "MCP calls refused because their request went past a bound, by limit (batch_reads: MCP_MAX_BATCH_READS; response_bytes: MCP_MAX_RESPONSE_BYTES).",
      labelNames: ["limit"],
      registers: [registry],
    }),
    localLookups: new Counter({
      name: METRICS.localLookups,
      help: "Lookups in the in-process tier in front of Redis, by result (a hit skips the Redis round trip and also counts in mcp_resource_cache_hits_total).",
      labelNames: ["result"],
      registers: [],
    }),
    localDrops: new Counter({
      name: METRICS.localDrops,
      help: "Entries dropped from the in-process tier, by reason (invalidated/flushed: Redis tracking said so; disconnected: tracking lost; unresponsive: Redis stopped answering PINGs; capacity; age).",
      labelNames: ["reason"],
      registers: [],
    }),
    localEntries: new Gauge({
      name: METRICS.localEntries,
      help: "Entries held by the in-process tier (absent when the tier is off).",
      registers: [],
      collect() {
        this.set(localTierSize?.()?.entries ?? 0);
      },
    }),
    localBytes: new Gauge({
      name: METRICS.localBytes,
      help: "Body bytes held by the in-process tier, all encodings.",
      registers: [],
      collect() {
        this.set(localTierSize?.()?.bytes ?? 0);
      },
    }),
  };

  // Zero-initialise every known series so rate() and absent() behave from the first scrape.
  for (const type of resourceTypes) {
    metrics.cacheHits.inc({ resource_type: type }, 0);
    metrics.cacheMisses.inc({ resource_type: type }, 0);
    metrics.fileReads.inc({ resource_type: type }, 0);
    for (const result of results) metrics.loadingLatency.zero({ resource_type: type, cache_result: result });
  }
  for (const result of results) metrics.cacheLatency.zero({ cache_result: result });
  for (const operation of CACHE_OPERATIONS) metrics.cacheErrors.inc({ operation }, 0);
  for (const result of PROBE_RESULTS) metrics.cachePings.inc({ result }, 0);
  for (const reason of INVALID_ENTRY_REASONS) metrics.invalidEntries.inc({ reason }, 0);
  metrics.skippedWrites.inc({ reason: "too_large" }, 0);
  for (const scope of OVERLOAD_SCOPES) metrics.overloadRejections.inc({ scope }, 0);
  for (const limit of MCP_LIMITS) metrics.mcpLimited.inc({ limit }, 0);
  // The tier's series exist only when it is on, so dashboards can tell off from idle.
  if (localTierSize) {
    registry.registerMetric(metrics.localLookups);
    registry.registerMetric(metrics.localDrops);
    registry.registerMetric(metrics.localEntries);
    registry.registerMetric(metrics.localBytes);
    for (const result of results) metrics.localLookups.inc({ result }, 0);
    for (const reason of LOCAL_DROP_REASONS) metrics.localDrops.inc({ reason }, 0);
  }

  return metrics;
}
