import { resourceKind, routePath } from "../../../lib/contract/resource-kinds.js";
import { HAPROXY_BACKENDS, JOBS } from "../../../lib/contract/stack.js";
import { SELF_MONITORING_TEST_SPECS } from "./self-monitoring-scenarios.js";
import {
  appearing,
  cacheFills,
  cacheLookups,
  cacheUp,
  HAPROXY_TARGET,
  haproxyActiveServers,
  haproxyServerStatus,
  httpRequests,
  idleLoadingHistograms,
  loadingHistogram,
  REPLICAS,
  redisEvictions,
  redisUp,
  replicaUp,
  serviceUp,
  up,
  vanishing,
} from "./series.js";
import { SLO_TEST_SPECS } from "./slo-scenarios.js";
import type { AlertTestSpec } from "./types.js";

/*
 * Expected values were worked out by hand from the service's bucket edges, e.g. 90% of loads
 * at 4 ms and 10% at 120 ms put the 0.95 rank half-way through the (0.1, 0.15] bucket:
 * p95 = 0.1 + 0.5 * 0.05 = 125 ms. Rates are per 1m evaluation interval; 600 = 10 req/s.
 */

const SDLC_ROUTE = routePath(resourceKind("sdlc"));
const _PATTERNS_ROUTE = routePath(resourceKind("patterns"));

const latency: AlertTestSpec[] = [
  {
    alert: "ResourceLoadingLatencyP95High",
    scenarios: [
      {
        kind: "fires",
        name: "10% of loads at 120 ms: p95 = 125 ms",
        series: loadingHistogram(600, [
          [0.004, 0.9],
          [0.12, 0.1],
        ]),
        expect: [
          {
            description:
              "p95 resource loading latency is 125ms over the last 5m, above the runbook's 100ms target, for more than 5m.",
          },
        ],
      },
      {
        kind: "below",
        name: "half the loads at 90 ms: p95 = 97.5 ms",
        series: loadingHistogram(600, [
          [0.004, 0.5],
          [0.09, 0.5],
        ]),
      },
      {
        kind: "guard",
        name: "p95 = 125 ms at 0.5 req/s",
        series: loadingHistogram(30, [
          [0.004, 0.9],
          [0.12, 0.1],
        ]),
      },
      { kind: "idle", name: "no loads", series: idleLoadingHistograms() },
    ],
  },
  {
    alert: "ResourceLoadingLatencyP99High",
    scenarios: [
      {
        kind: "fires",
        name: "2% of loads at 250 ms: p99 = 250 ms",
        series: loadingHistogram(600, [
          [0.004, 0.98],
          [0.25, 0.02],
        ]),
        expect: [
          {
            description:
              "p99 resource loading latency is 250ms over the last 5m, above the runbook's 200ms target, for more than 5m.",
          },
        ],
      },
      {
        kind: "below",
        name: "10% of loads at 180 ms: p99 = 195 ms",
        series: loadingHistogram(600, [
          [0.004, 0.9],
          [0.18, 0.1],
        ]),
      },
      {
        kind: "guard",
        name: "p99 = 250 ms at 0.5 req/s",
        series: loadingHistogram(30, [
          [0.004, 0.98],
          [0.25, 0.02],
        ]),
      },
      { kind: "idle", name: "no loads", series: idleLoadingHistograms() },
    ],
  },
];

const cache: AlertTestSpec[] = [
  {
    alert: "ResourceCacheHitRateLow",
    scenarios: [
      {
        kind: "fires",
        name: "40% hits at 10 lookups/s",
        series: cacheLookups(240, 360),
        expect: [
          {
            description:
              "Only 40% of resource lookups were answered from Redis over the last 5m (threshold 50%, with more than 1 lookup/s), for more than 10m.",
          },
        ],
      },
      { kind: "below", name: "exactly 50% hits", series: cacheLookups(300, 300) },
      { kind: "guard", name: "20% hits at 0.5 lookups/s", series: cacheLookups(6, 24) },
      { kind: "idle", name: "no lookups", series: cacheLookups(0, 0) },
    ],
  },
  {
    alert: "ResourceCacheUnavailable",
    scenarios: [
      {
        kind: "fires",
        name: "the service lost its Redis connection",
        series: [cacheUp(0), redisUp(1)],
        expect: [
          {
            labels: { job: JOBS.service },
            description:
              "mcp-resource-service reports Redis unreachable (up gauge = 0) for more than 1m; every lookup of an affected replica is a miss served from disk.",
          },
        ],
      },
      {
        kind: "fires",
        name: "the exporter cannot reach Redis",
        series: [cacheUp(1), redisUp(0)],
        expect: [
          {
            labels: { job: JOBS.redis },
            description:
              "redis reports Redis unreachable (up gauge = 0) for more than 1m; every lookup of an affected replica is a miss served from disk.",
          },
        ],
      },
      {
        kind: "fires",
        name: "one of three replicas lost its Redis connection (the others still hit)",
        series: [cacheUp(1, REPLICAS[0]), cacheUp(1, REPLICAS[1]), cacheUp(0, REPLICAS[2]), redisUp(1)],
        expect: [
          {
            labels: { job: JOBS.service },
            description:
              "mcp-resource-service reports Redis unreachable (up gauge = 0) for more than 1m; every lookup of an affected replica is a miss served from disk.",
          },
        ],
      },
      { kind: "below", name: "both sides see Redis", series: [cacheUp(1), redisUp(1)] },
      {
        kind: "below",
        name: "three replicas, every one connected",
        series: [...REPLICAS.map((r) => cacheUp(1, r)), redisUp(1)],
      },
      {
        kind: "idle",
        name: "idle service, Redis up",
        series: [cacheUp(1), redisUp(1), ...idleLoadingHistograms()],
      },
    ],
  },
  {
    alert: "ResourceCacheWritesFailing",
    scenarios: [
      {
        kind: "fires",
        name: "Redis refuses every write (OOM at maxmemory)",
        series: [cacheUp(1), ...cacheFills(30, 30)],
        expect: [
          {
            labels: { instance: `${JOBS.service}:8000` },
            description:
              "mcp-resource-service:8000: 100% of cache fills over the last 5m were not written to Redis although it was reachable (threshold 10%), for more than 5m: the cache stops refilling and its hit rate falls as entries expire.",
          },
        ],
      },
      {
        kind: "below",
        name: "5% of writes time out",
        series: [cacheUp(1), ...cacheFills(30, 1.5)],
      },
      {
        kind: "guard",
        name: "writes fail because Redis is unreachable (ResourceCacheUnavailable's case)",
        series: [cacheUp(0), ...cacheFills(30, 30)],
      },
      { kind: "idle", name: "no fills", series: [cacheUp(1), ...cacheFills(0, 0)] },
    ],
  },
  {
    alert: "RedisEvictingKeys",
    scenarios: [
      {
        kind: "fires",
        name: "2 evictions/s",
        series: [redisUp(1), redisEvictions(120)],
        expect: [
          {
            description:
              "Redis evicts 2 keys/s (average over 5m) for more than 5m: the cache is at maxmemory and drops entries before their TTL.",
          },
        ],
      },
      {
        kind: "below",
        name: "past evictions only (counter high but flat)",
        series: [redisUp(1), { ...redisEvictions(0), start: 500 }],
      },
      { kind: "idle", name: "no evictions, no traffic", series: [redisUp(1), redisEvictions(0)] },
    ],
  },
  {
    alert: "RedisNodeDown",
    scenarios: [
      {
        kind: "fires",
        name: "a node fails its PING check (native twin: DOWN)",
        series: [
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, "redis", "UP"),
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, "redis-replica-1", "DOWN"),
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, "redis-replica-2", "UP"),
        ],
        expect: [
          {
            labels: { ...HAPROXY_TARGET, proxy: HAPROXY_BACKENDS.redisNodes, server: "redis-replica-1" },
            description:
              "Redis node redis-replica-1 has not answered HAProxy's PING check (or its name does not resolve) for more than 1m (UP = 0): Sentinel has one node fewer to fail over to; if it was the master, a replica is promoted and HAProxy's redis-master backend follows it.",
          },
        ],
      },
      {
        kind: "fires",
        name: "a stopped node's name no longer resolves (compose: MAINT, not DOWN)",
        series: [
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, "redis", "MAINT"),
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, "redis-replica-1", "UP"),
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, "redis-replica-2", "UP"),
        ],
        expect: [
          {
            labels: { ...HAPROXY_TARGET, proxy: HAPROXY_BACKENDS.redisNodes, server: "redis" },
            description:
              "Redis node redis has not answered HAProxy's PING check (or its name does not resolve) for more than 1m (UP = 0): Sentinel has one node fewer to fail over to; if it was the master, a replica is promoted and HAProxy's redis-master backend follows it.",
          },
        ],
      },
      {
        kind: "below",
        name: "every node answers PING; replicas fail the master check, as they should",
        series: [
          ...["redis", "redis-replica-1", "redis-replica-2"].flatMap((node) =>
            haproxyServerStatus(HAPROXY_BACKENDS.redisNodes, node, "UP"),
          ),
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisMaster, "redis", "UP"),
          ...haproxyServerStatus(HAPROXY_BACKENDS.redisMaster, "redis-replica-1", "DOWN"),
        ],
      },
      {
        kind: "idle",
        name: "single Redis: HAProxy has no redis-nodes backend",
        series: [haproxyActiveServers(HAPROXY_BACKENDS.service, 2), redisUp(1)],
      },
    ],
  },
];

const [R1, R2, R3] = REPLICAS;
/** Replacements at new addresses, as compose's DNS hands out after `docker compose up` recreates them. */
const REPLACEMENTS = ["10.89.0.21:8000", "10.89.0.22:8000", "10.89.0.23:8000"] as const;
const REPLICA_SAMPLES = 12;
const threeUp = () => REPLICAS.map((r) => replicaUp(r, 1));

const availability: AlertTestSpec[] = [
  {
    alert: "ResourceRequestErrors",
    scenarios: [
      {
        kind: "fires",
        name: "1% of resource requests fail with 500",
        series: httpRequests(SDLC_ROUTE, { "200": 594, "500": 6 }),
        expect: [
          {
            description:
              "1% of requests to resource routes returned a 5xx over the last 5m (the runbook's failure-rate target is 0%).",
          },
        ],
      },
      {
        kind: "below",
        name: "no resource 5xx; 404s on resources and 5xx on non-resource routes do not count",
        series: [
          ...httpRequests(SDLC_ROUTE, { "200": 600, "404": 30 }),
          ...httpRequests("/metrics", { "200": 4, "500": 5 }),
          ...httpRequests("unmatched", { "404": 3, "503": 5 }),
        ],
      },
      { kind: "idle", name: "no requests", series: httpRequests(SDLC_ROUTE, { "200": 0 }) },
    ],
  },
  {
    alert: "ResourceServiceDown",
    scenarios: [
      {
        kind: "fires",
        name: "scrapes fail",
        series: [serviceUp(0)],
        expect: [
          {
            labels: { job: JOBS.service },
            description:
              "No replica of the mcp-resource-service job has answered Prometheus for more than 1m (0 answer; also when none is left in service discovery): users get errors.",
          },
        ],
      },
      {
        kind: "fires",
        name: "the target is gone from discovery",
        series: [up(JOBS.redis, "redis-exporter:9121", 1)],
        expect: [
          {
            labels: { job: JOBS.service },
            description:
              "No replica of the mcp-resource-service job has answered Prometheus for more than 1m (0 answer; also when none is left in service discovery): users get errors.",
          },
        ],
      },
      {
        kind: "fires",
        name: "three replicas, all down (file_sd keeps them listed)",
        series: REPLICAS.map((r) => replicaUp(r, 0)),
        expect: [
          {
            labels: { job: JOBS.service },
            description:
              "No replica of the mcp-resource-service job has answered Prometheus for more than 1m (0 answer; also when none is left in service discovery): users get errors.",
          },
        ],
      },
      {
        kind: "fires",
        name: "three replicas, all gone from discovery (dns_sd)",
        series: REPLICAS.map((r) => vanishing(replicaUp(r, 1), 1)),
        expect: [
          {
            labels: { job: JOBS.service },
            description:
              "No replica of the mcp-resource-service job has answered Prometheus for more than 1m (0 answer; also when none is left in service discovery): users get errors.",
          },
        ],
      },
      {
        kind: "fires",
        name: "HAProxy down: three replicas answer, nobody reaches them",
        series: [...threeUp(), up(JOBS.balancer, HAPROXY_TARGET.instance, 0)],
        expect: [
          {
            labels: HAPROXY_TARGET,
            description:
              "Prometheus cannot scrape HAProxy at haproxy:8404 (up = 0) for more than 1m: the balancer in front of the replicas is down, nobody reaches them.",
          },
        ],
      },
      {
        kind: "fires",
        name: "HAProxy has no replica in rotation (all answer scrapes, all fail /readyz)",
        series: [
          ...threeUp(),
          up(JOBS.balancer, HAPROXY_TARGET.instance, 1),
          haproxyActiveServers(HAPROXY_BACKENDS.service, 0),
        ],
        expect: [
          {
            labels: { ...HAPROXY_TARGET, proxy: HAPROXY_BACKENDS.service },
            description:
              "HAProxy haproxy:8404 has had 0 replicas in rotation in its mcp-resource-service backend for more than 1m: every request gets a 503.",
          },
        ],
      },
      { kind: "below", name: "scrapes succeed", series: [serviceUp(1)] },
      {
        kind: "below",
        name: "one of three replicas down, HAProxy routes to the other two (ResourceServiceReplicaDown's ticket)",
        series: [
          replicaUp(R1, 1),
          replicaUp(R2, 1),
          replicaUp(R3, 0),
          up(JOBS.balancer, HAPROXY_TARGET.instance, 1),
          haproxyActiveServers(HAPROXY_BACKENDS.service, 2),
        ],
      },
      {
        kind: "below",
        name: "two of three replicas gone from discovery, one answers",
        series: [replicaUp(R1, 1), vanishing(replicaUp(R2, 1), 1), vanishing(replicaUp(R3, 1), 1)],
      },
      { kind: "idle", name: "idle but up", series: [serviceUp(1), ...idleLoadingHistograms()] },
    ],
  },
  {
    alert: "ResourceServiceReplicaDown",
    scenarios: [
      {
        kind: "fires",
        name: "one of three replicas listed with up == 0 (file_sd, native twin)",
        series: [replicaUp(R1, 1), replicaUp(R2, 1), replicaUp(R3, 0)],
        expect: [
          {
            labels: { job: JOBS.service, instance: R3 },
            description: `Replica ${R3} of the mcp-resource-service job has not answered Prometheus for more than 3m (its scrapes fail, or it left service discovery within the last 10m); 2 replicas still answer, so users are served with less headroom.`,
          },
        ],
      },
      {
        kind: "fires",
        name: "one of three replicas gone from discovery (dns_sd, compose)",
        series: [replicaUp(R1, 1), replicaUp(R2, 1), vanishing(replicaUp(R3, 1), 1)],
        expect: [
          {
            labels: { job: JOBS.service, instance: R3 },
            description: `Replica ${R3} of the mcp-resource-service job has not answered Prometheus for more than 3m (its scrapes fail, or it left service discovery within the last 10m); 2 replicas still answer, so users are served with less headroom.`,
          },
        ],
      },
      {
        // Down at 1m, gone at 3m, firing at 5m only if `for` kept counting across the switch.
        kind: "fires",
        name: "scrapes fail, then the target leaves discovery: one alert, `for` keeps counting",
        series: [replicaUp(R1, 1), replicaUp(R2, 1), { ...replicaUp(R3, 1), values: "1 0 0 stale" }],
        expect: [
          {
            labels: { job: JOBS.service, instance: R3 },
            description: `Replica ${R3} of the mcp-resource-service job has not answered Prometheus for more than 3m (its scrapes fail, or it left service discovery within the last 10m); 2 replicas still answer, so users are served with less headroom.`,
          },
        ],
      },
      { kind: "below", name: "three replicas answer", series: threeUp() },
      {
        kind: "below",
        name: "a deploy replaced every replica by one at a new address (dns_sd)",
        series: [
          ...REPLICAS.map((r) => vanishing(replicaUp(r, 1), 2)),
          ...REPLACEMENTS.map((r) => appearing(replicaUp(r, 1), 2, REPLICA_SAMPLES)),
        ],
      },
      {
        kind: "guard",
        name: "every replica down (file_sd): ResourceServiceDown pages instead",
        series: REPLICAS.map((r) => replicaUp(r, 0)),
      },
      {
        kind: "guard",
        name: "every replica gone from discovery (dns_sd): ResourceServiceDown pages instead",
        series: REPLICAS.map((r) => vanishing(replicaUp(r, 1), 1)),
      },
      { kind: "idle", name: "one replica, idle and up", series: [serviceUp(1), ...idleLoadingHistograms()] },
    ],
  },
  {
    alert: "ScrapeTargetDown",
    scenarios: [
      {
        kind: "fires",
        name: "the redis exporter cannot be scraped",
        series: [serviceUp(1), up(JOBS.redis, "redis-exporter:9121", 0)],
        expect: [
          {
            labels: { job: JOBS.redis, instance: "redis-exporter:9121", service: JOBS.redis },
            description:
              "Prometheus cannot scrape redis-exporter:9121 (job redis, up = 0) for more than 5m; its metrics and the alerts built on them are blind.",
          },
        ],
      },
      {
        kind: "fires",
        name: "HAProxy's exporter cannot be scraped (ResourceServiceDown pages, and inhibits this)",
        series: [serviceUp(1), up(JOBS.balancer, HAPROXY_TARGET.instance, 0)],
        expect: [
          {
            labels: { ...HAPROXY_TARGET, service: JOBS.balancer },
            description:
              "Prometheus cannot scrape haproxy:8404 (job haproxy, up = 0) for more than 5m; its metrics and the alerts built on them are blind.",
          },
        ],
      },
      {
        kind: "below",
        name: "only the service is down (ResourceServiceDown's job)",
        series: [serviceUp(0), up(JOBS.redis, "redis-exporter:9121", 1)],
      },
      {
        kind: "idle",
        name: "every target up",
        series: [
          serviceUp(1),
          up(JOBS.redis, "redis-exporter:9121", 1),
          up(JOBS.prometheus, "prometheus:9090", 1),
          up(JOBS.alertmanager, "alertmanager:9093", 1),
          up(JOBS.balancer, HAPROXY_TARGET.instance, 1),
        ],
      },
    ],
  },
];

export const ALERT_TEST_SPECS: readonly AlertTestSpec[] = [
  ...latency,
  ...cache,
  ...availability,
  ...SLO_TEST_SPECS,
  ...SELF_MONITORING_TEST_SPECS,
];
