import { METRICS, RESOURCE_ROUTE_REGEX } from "../../../lib/contract/metrics.js";
import { JOBS } from "../../../lib/contract/stack.js";
import { eq, histogramQuantile, matchers, rate, re, recordName, sumBy } from "../promql.js";
import type { RuleParams } from "../rule-params.js";
import type { RecordingRule, RuleGroup } from "./types.js";

/** The runbook's three percentiles. */
export const QUANTILES = [0.5, 0.95, 0.99] as const;
export type Quantile = (typeof QUANTILES)[number];

/** Aggregation levels of the loading-latency rules. */
export const LATENCY_LEVELS = {
  overall: [],
  byType: ["resource_type"],
  byTypeAndResult: ["resource_type", "cache_result"],
} as const satisfies Record<string, readonly string[]>;
export type LatencyLevel = keyof typeof LATENCY_LEVELS;

const SERVICE = matchers(eq("job", JOBS.service));
const REDIS = matchers(eq("job", JOBS.redis));
const RESOURCE_REQUESTS = matchers(eq("job", JOBS.service), re("route", RESOURCE_ROUTE_REGEX));
const RESOURCE_5XX = matchers(
  eq("job", JOBS.service),
  re("route", RESOURCE_ROUTE_REGEX),
  re("status_code", "5.."),
);

function percentileName(q: Quantile): string {
  return `p${Math.round(q * 100)}`;
}

/** Names of the recorded series, for alerts and dashboards to reference instead of raw PromQL. */
export interface RecordingNames {
  latency(q: Quantile, level: LatencyLevel): string;
  loadRate: { overall: string; byTypeAndResult: string };
  lookupRate: string;
  hitRatio: { overall: string; byType: string };
  cacheLatency(q: 0.95 | 0.99): string;
  httpRequestRate: string;
  errorRatio: string;
  redisHitRatio: string;
  redisEvictionRate: string;
  /** Replicas of the service that answer Prometheus' scrapes, by job. */
  replicasUp: string;
}

export interface RecordingRuleSet {
  readonly groups: RuleGroup<RecordingRule>[];
  readonly names: RecordingNames;
}

/**
 * Recording rules for every query of the runbook (p50/p95/p99 at three levels, hit ratio,
 * request rate) plus the error ratio, cache lookup latency and Redis ratios the alerts and
 * dashboards use. Ratios are recorded as 0..1 (Prometheus convention); dashboards show %.
 */
export function recordingRules(params: RuleParams): RecordingRuleSet {
  const w = params.rateWindow;
  const ops = (op: string) => `${op}_rate${w}`;
  const latencyName = (q: Quantile, level: LatencyLevel) =>
    recordName(LATENCY_LEVELS[level], METRICS.loadingLatency, ops(percentileName(q)));
  const hits = (by: readonly string[]) => sumBy(by, rate(METRICS.cacheHits, SERVICE, w));
  const misses = (by: readonly string[]) => sumBy(by, rate(METRICS.cacheMisses, SERVICE, w));

  const names: RecordingNames = {
    latency: latencyName,
    loadRate: {
      overall: recordName([], `${METRICS.loadingLatency}_count`, `rate${w}`),
      byTypeAndResult: recordName(
        ["resource_type", "cache_result"],
        `${METRICS.loadingLatency}_count`,
        `rate${w}`,
      ),
    },
    lookupRate: recordName([], "mcp_resource_cache_lookups", `rate${w}`),
    hitRatio: {
      overall: recordName([], "mcp_resource_cache_hits", ops("ratio")),
      byType: recordName(["resource_type"], "mcp_resource_cache_hits", ops("ratio")),
    },
    cacheLatency: (q) => recordName(["cache_result"], METRICS.cacheLatency, ops(percentileName(q))),
    httpRequestRate: recordName(["route", "status_code"], `${METRICS.httpDuration}_count`, `rate${w}`),
    errorRatio: recordName([], "http_request_5xx_per_requests", ops("ratio")),
    redisHitRatio: recordName([], "redis_keyspace_hits", ops("ratio")),
    redisEvictionRate: recordName([], "redis_evicted_keys", `rate${w}`),
    replicasUp: recordName(["job"], "up", "sum"),
  };

  const latencyRules: RecordingRule[] = [];
  for (const [level, by] of Object.entries(LATENCY_LEVELS) as [LatencyLevel, readonly string[]][]) {
    for (const q of QUANTILES) {
      latencyRules.push({
        record: latencyName(q, level),
        expr: histogramQuantile(q, METRICS.loadingLatency, SERVICE, by, w),
        help: `${percentileName(q)} resource loading latency${by.length ? ` by ${by.join(" and ")}` : " over all resources"} (seconds).`,
      });
    }
  }

  const cacheRules: RecordingRule[] = [
    {
      record: names.loadRate.overall,
      expr: sumBy([], rate(`${METRICS.loadingLatency}_count`, SERVICE, w)),
      help: "Resource loads per second (the runbook's request rate).",
    },
    {
      record: names.loadRate.byTypeAndResult,
      expr: sumBy(["resource_type", "cache_result"], rate(`${METRICS.loadingLatency}_count`, SERVICE, w)),
      help: "Resource loads per second by resource type and cache result.",
    },
    {
      record: names.lookupRate,
      expr: `${hits([])} + ${misses([])}`,
      help: "Cache lookups per second (hits + misses); the hit-rate alert's traffic guard.",
    },
    {
      record: names.hitRatio.overall,
      expr: `${hits([])}\n/\n(${hits([])} + ${misses([])})`,
      help: "Fraction of cache lookups answered from Redis (the runbook's hit rate, as 0..1).",
    },
    {
      record: names.hitRatio.byType,
      expr: `${hits(["resource_type"])}\n/\n(${hits(["resource_type"])} + ${misses(["resource_type"])})`,
      help: "Cache hit ratio by resource type.",
    },
    ...([0.95, 0.99] as const).map((q) => ({
      record: names.cacheLatency(q),
      expr: histogramQuantile(q, METRICS.cacheLatency, SERVICE, ["cache_result"], w),
      help: `${percentileName(q)} Redis lookup latency by cache result (seconds).`,
    })),
  ];

  const httpRules: RecordingRule[] = [
    {
      record: names.httpRequestRate,
      expr: sumBy(["route", "status_code"], rate(`${METRICS.httpDuration}_count`, SERVICE, w)),
      help: "HTTP requests per second by route template and status code.",
    },
    {
      record: names.errorRatio,
      // `or vector(0)`: the 5xx series exist only after a first 5xx; without it the ratio
      // would be empty (not 0) on a healthy service. An idle service still yields nothing.
      expr: `(${sumBy([], rate(`${METRICS.httpDuration}_count`, RESOURCE_5XX, w))} or vector(0))\n/\n${sumBy([], rate(`${METRICS.httpDuration}_count`, RESOURCE_REQUESTS, w))}`,
      help: "Fraction of requests to resource routes answered with a 5xx (the runbook's failure rate).",
    },
  ];

  const redisRules: RecordingRule[] = [
    {
      record: names.redisHitRatio,
      expr: `${sumBy([], rate("redis_keyspace_hits_total", REDIS, w))}\n/\n(${sumBy([], rate("redis_keyspace_hits_total", REDIS, w))} + ${sumBy([], rate("redis_keyspace_misses_total", REDIS, w))})`,
      help: "Redis keyspace hit ratio as Redis itself counts it (all clients).",
    },
    {
      record: names.redisEvictionRate,
      expr: sumBy([], rate("redis_evicted_keys_total", REDIS, w)),
      help: "Keys Redis evicts per second to stay under maxmemory.",
    },
  ];

  const replicaRules: RecordingRule[] = [
    {
      record: names.replicasUp,
      // Recorded so the replica alert can ask how many answered at any time of its window
      // (max_over_time of this series) without a subquery.
      expr: sumBy(["job"], `up${SERVICE}`),
      help: "Replicas of the service that answer Prometheus' scrapes (each replica is one target of the job).",
    },
  ];

  return {
    names,
    groups: [
      { name: "mcp-resource-loading.latency.rules", rules: latencyRules },
      { name: "mcp-resource-loading.cache.rules", rules: cacheRules },
      { name: "mcp-resource-loading.http.rules", rules: httpRules },
      { name: "mcp-resource-service.replicas.rules", rules: replicaRules },
      { name: "redis.rules", rules: redisRules },
    ],
  };
}
