import { METRICS } from "../../../lib/contract/metrics.js";
import { JOBS, SERVICES } from "../../../lib/contract/stack.js";
import { TARGETS } from "../performance-targets.js";
import { eq, matchers, num } from "../promql.js";
import type { RuleParams } from "../rule-params.js";
import type { RecordingNames } from "./recording.js";
import type { AlertRuleDefinition, RuleGroup } from "./types.js";

const ms = (seconds: number) => `${num(seconds * 1000)}ms`;
const pct = (ratio: number) => `${num(ratio * 100)}%`;

/**
 * Threshold alerts on the runbook's targets. They read the recording rules, so an alert
 * and the dashboard panel next to it always show the same number.
 */
export function thresholdAlertRules(
  params: RuleParams,
  rec: RecordingNames,
): RuleGroup<AlertRuleDefinition>[] {
  const w = params.rateWindow;
  const f = params.alertFor;
  const minTraffic = num(TARGETS.minRequestRate);
  const service = SERVICES.resource;
  const serviceJob = matchers(eq("job", JOBS.service));
  const serviceUp = `up${serviceJob}`;

  const latency: AlertRuleDefinition[] = [
    {
      alert: "ResourceLoadingLatencyP95High",
      expr: `${rec.latency(0.95, "overall")} > ${num(TARGETS.latencyP95Seconds)}\nand on ()\n${rec.loadRate.overall} > ${minTraffic}`,
      for: f.latencyP95,
      severity: "ticket",
      service,
      summary: `p95 resource loading latency above ${ms(TARGETS.latencyP95Seconds)}`,
      description: `p95 resource loading latency is {{ $value | humanizeDuration }} over the last ${w}, above the runbook's ${ms(TARGETS.latencyP95Seconds)} target, for more than ${f.latencyP95}.`,
    },
    {
      alert: "ResourceLoadingLatencyP99High",
      expr: `${rec.latency(0.99, "overall")} > ${num(TARGETS.latencyP99Seconds)}\nand on ()\n${rec.loadRate.overall} > ${minTraffic}`,
      for: f.latencyP99,
      severity: "ticket",
      service,
      summary: `p99 resource loading latency above ${ms(TARGETS.latencyP99Seconds)}`,
      description: `p99 resource loading latency is {{ $value | humanizeDuration }} over the last ${w}, above the runbook's ${ms(TARGETS.latencyP99Seconds)} target, for more than ${f.latencyP99}.`,
    },
  ];

  const cache: AlertRuleDefinition[] = [
    {
      alert: "ResourceCacheHitRateLow",
      expr: `${rec.hitRatio.overall} < ${num(TARGETS.cacheHitRatioMin)}\nand on ()\n${rec.lookupRate} > ${minTraffic}`,
      for: f.cacheHitRateLow,
      severity: "ticket",
      service,
      summary: `Cache hit rate below ${pct(TARGETS.cacheHitRatioMin)}`,
      description: `Only {{ $value | humanizePercentage }} of resource lookups were answered from Redis over the last ${w} (threshold ${pct(TARGETS.cacheHitRatioMin)}, with more than ${minTraffic} lookup/s), for more than ${f.cacheHitRateLow}.`,
    },
    {
      alert: "ResourceCacheUnavailable",
      // Either side can notice first: the service's own connection state, or the exporter
      // failing to reach Redis. `by (job)` tells them apart in the alert.
      expr: `max by (job) (${METRICS.cacheUp}${matchers(eq("job", JOBS.service))}) == 0\nor\nmax by (job) (redis_up${matchers(eq("job", JOBS.redis))}) == 0`,
      for: f.cacheUnavailable,
      severity: "ticket",
      service,
      summary: "Resource cache (Redis) unavailable",
      description: `{{ $labels.job }} reports Redis unreachable (up gauge = {{ $value }}) for more than ${f.cacheUnavailable}; every lookup is a miss served from disk.`,
    },
    {
      alert: "ResourceCacheWritesFailing",
      // Every fill (a file read) is followed by one write to Redis; the service counts the
      // refused or timed-out ones as set errors. Only while its connection was up the whole
      // window: writes skipped during an outage are ResourceCacheUnavailable's, and would
      // otherwise fire this as Redis comes back.
      expr: `sum by (instance) (rate(${METRICS.cacheErrors}${matchers(eq("job", JOBS.service), eq("operation", "set"))}[${w}]))\n/\nsum by (instance) (rate(${METRICS.fileReads}${serviceJob}[${w}]))\n> ${num(TARGETS.cacheWriteFailureRatioMax)}\nand\nmin by (instance) (min_over_time(${METRICS.cacheUp}${serviceJob}[${w}])) == 1`,
      for: f.cacheWritesFailing,
      severity: "ticket",
      service,
      summary: "Redis refuses or drops cache writes",
      description: `{{ $labels.instance }}: {{ $value | humanizePercentage }} of cache fills over the last ${w} were not written to Redis although it was reachable (threshold ${pct(TARGETS.cacheWriteFailureRatioMax)}), for more than ${f.cacheWritesFailing}: the cache stops refilling and its hit rate falls as entries expire.`,
    },
  ];

  const availability: AlertRuleDefinition[] = [
    {
      alert: "ResourceRequestErrors",
      expr: `${rec.errorRatio} > 0`,
      for: f.requestErrors,
      severity: "ticket",
      service,
      summary: "Resource requests failing with 5xx",
      description: `{{ $value | humanizePercentage }} of requests to resource routes returned a 5xx over the last ${w} (the runbook's failure-rate target is 0%).`,
    },
    {
      alert: "ResourceServiceDown",
      // absent(): the target vanished from discovery, which `up == 0` alone cannot see.
      expr: `${serviceUp} == 0\nor\nabsent(${serviceUp})`,
      for: f.serviceDown,
      severity: "page",
      service,
      summary: "Resource service down",
      description: `Prometheus has had no successful scrape of the ${JOBS.service} job{{ with $labels.instance }} at {{ . }}{{ end }} for more than ${f.serviceDown} (up = {{ $value }}; 1 means no target exists at all).`,
    },
    {
      alert: "ScrapeTargetDown",
      // The service has its own paging alert; every other job gets a ticket, labelled with
      // the job as its service so inhibition can scope by it.
      expr: `label_replace(up{job!=${JSON.stringify(JOBS.service)}} == 0, "service", "$1", "job", "(.+)")`,
      for: f.targetDown,
      severity: "ticket",
      serviceFromExpr: true,
      summary: "Scrape target down",
      description: `Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}, up = {{ $value }}) for more than ${f.targetDown}; its metrics and the alerts built on them are blind.`,
    },
  ];

  const redis: AlertRuleDefinition[] = [
    {
      alert: "RedisEvictingKeys",
      expr: `${rec.redisEvictionRate} > 0`,
      for: f.redisEvicting,
      severity: "ticket",
      service: SERVICES.redis,
      summary: "Redis is evicting cache keys",
      description: `Redis evicts {{ $value | humanize }} keys/s (average over ${w}) for more than ${f.redisEvicting}: the cache is at maxmemory and drops entries before their TTL.`,
    },
  ];

  return [
    { name: "mcp-resource-loading.latency.alerts", rules: latency },
    { name: "mcp-resource-loading.cache.alerts", rules: cache },
    { name: "mcp-resource-service.availability.alerts", rules: availability },
    { name: "redis.alerts", rules: redis },
  ];
}
