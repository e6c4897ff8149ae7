import { METRICS } from "../../../lib/contract/metrics.js";
import { HAPROXY_BACKENDS, JOBS, SERVICES } from "../../../lib/contract/stack.js";
import { HAPROXY_METRICS } from "../haproxy-metrics.js";
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
  const balancerUp = `up${matchers(eq("job", JOBS.balancer))}`;
  // HAProxy's count of UP, routable servers in a backend: `act` of its stats, the same meaning
  // on 2.6 and 3.x (server-template slots without a DNS record are in MAINT and not counted).
  const activeReplicas = `${HAPROXY_METRICS.activeServers}${matchers(eq("job", JOBS.balancer), eq("proxy", HAPROXY_BACKENDS.service))}`;

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
      // failing to reach Redis. `by (job)` tells them apart in the alert. `min` over the
      // replicas: one replica that lost its connection serves every lookup from disk while the
      // others hit (`max` would wait until every replica had lost it).
      expr: `min by (job) (${METRICS.cacheUp}${matchers(eq("job", JOBS.service))}) == 0\nor\nmax by (job) (redis_up${matchers(eq("job", JOBS.redis))}) == 0`,
      for: f.cacheUnavailable,
      severity: "ticket",
      service,
      summary: "Resource cache (Redis) unavailable",
      description: `{{ $labels.job }} reports Redis unreachable (up gauge = {{ $value }}) for more than ${f.cacheUnavailable}; every lookup of an affected replica is a miss served from disk.`,
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
      // Pages only when users get nothing, whatever the number of replicas: no replica answers
      // Prometheus (file_sd keeps a dead replica listed with up == 0), or none is left in
      // discovery at all (dns_sd drops a stopped replica's address: absent(), 0 replicas), or
      // HAProxy has no replica in rotation (they answer scrapes but fail /readyz: every
      // request gets a 503), or HAProxy itself does not answer (nobody reaches the replicas).
      // One replica of several down is ResourceServiceReplicaDown's ticket.
      expr: [
        `sum by (job) (${serviceUp}) == 0`,
        `absent(${serviceUp}) * 0`,
        `${activeReplicas} == 0`,
        `${balancerUp} == 0`,
      ].join("\nor\n"),
      for: f.serviceDown,
      severity: "page",
      service,
      summary: "Resource service down",
      description:
        `{{ if $labels.proxy }}HAProxy {{ $labels.instance }} has had {{ $value }} replicas in rotation in its {{ $labels.proxy }} backend for more than ${f.serviceDown}: every request gets a 503.` +
        `{{ else if eq $labels.job "${JOBS.balancer}" }}Prometheus cannot scrape HAProxy at {{ $labels.instance }} (up = {{ $value }}) for more than ${f.serviceDown}: the balancer in front of the replicas is down, nobody reaches them.` +
        `{{ else }}No replica of the ${JOBS.service} job has answered Prometheus for more than ${f.serviceDown} ({{ $value }} answer; also when none is left in service discovery): users get errors.{{ end }}`,
    },
    {
      alert: "ResourceServiceReplicaDown",
      // One replica (of N) does not answer, in both discovery modes: listed with up == 0
      // (file_sd, and dns_sd until its next refresh), or gone from discovery although it
      // answered within the window (dns_sd), as long as fewer replicas answer now than did
      // within the window: a deploy that replaces every replica by one at a new address does
      // not count. The trade-off: dns_sd cannot tell a crash from a scale-in, so a deliberate
      // scale-in is ticketed for up to the window, and a replica that stays gone resolves
      // after it. The value is the replicas still answering; none means ResourceServiceDown's
      // page instead, so this ticket never fires beside it.
      expr: [
        "(",
        `  ${serviceUp} == 0`,
        "or",
        `  (max_over_time(${serviceUp}[${params.replicaGoneWindow}]) unless on (instance) ${serviceUp})`,
        "  and on (job)",
        `  (sum by (job) (${serviceUp}) < max_over_time(${rec.replicasUp}${serviceJob}[${params.replicaGoneWindow}]))`,
        ")",
        "* 0 + on (job) group_left ()",
        `(sum by (job) (${serviceUp}) > 0)`,
      ].join("\n"),
      for: f.replicaDown,
      severity: "ticket",
      service,
      summary: "A replica of the resource service is down",
      description: `Replica {{ $labels.instance }} of the ${JOBS.service} job has not answered Prometheus for more than ${f.replicaDown} (its scrapes fail, or it left service discovery within the last ${params.replicaGoneWindow}); {{ $value }} replicas still answer, so users are served with less headroom.`,
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
    {
      alert: "RedisNodeDown",
      // Sentinel topology only: HAProxy's redis-nodes backend PINGs every node whatever its
      // role (the redis exporter sees only the master, through HAProxy). Not UP rather than
      // DOWN: in compose a stopped node's name stops resolving and HAProxy puts it in MAINT.
      // `without (state)` keeps the alert's labels the same while it moves from one to the other.
      expr: `max without (state) (${HAPROXY_METRICS.serverStatus}${matchers(eq("job", JOBS.balancer), eq("proxy", HAPROXY_BACKENDS.redisNodes), eq("state", "UP"))}) == 0`,
      for: f.redisNodeDown,
      severity: "ticket",
      service: SERVICES.redis,
      summary: "A Redis node of the Sentinel topology is down",
      description: `Redis node {{ $labels.server }} has not answered HAProxy's PING check (or its name does not resolve) for more than ${f.redisNodeDown} (UP = {{ $value }}): Sentinel has one node fewer to fail over to; if it was the master, a replica is promoted and HAProxy's ${HAPROXY_BACKENDS.redisMaster} backend follows it.`,
    },
  ];

  return [
    { name: "mcp-resource-loading.latency.alerts", rules: latency },
    { name: "mcp-resource-loading.cache.alerts", rules: cache },
    { name: "mcp-resource-service.availability.alerts", rules: availability },
    { name: "redis.alerts", rules: redis },
  ];
}
