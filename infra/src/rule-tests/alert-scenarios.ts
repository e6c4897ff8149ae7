import { resourceKind, routePath } from "../../../lib/contract/resource-kinds.js";
import { JOBS } from "../../../lib/contract/stack.js";
import { SELF_MONITORING_TEST_SPECS } from "./self-monitoring-scenarios.js";
import {
  cacheFills,
  cacheLookups,
  cacheUp,
  httpRequests,
  idleLoadingHistograms,
  loadingHistogram,
  redisEvictions,
  redisUp,
  serviceUp,
  up,
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
              "mcp-resource-service reports Redis unreachable (up gauge = 0) for more than 1m; every lookup is a miss served from disk.",
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
              "redis reports Redis unreachable (up gauge = 0) for more than 1m; every lookup is a miss served from disk.",
          },
        ],
      },
      { kind: "below", name: "both sides see Redis", series: [cacheUp(1), redisUp(1)] },
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
];

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
            labels: { job: JOBS.service, instance: `${JOBS.service}:8000` },
            description:
              "Prometheus has had no successful scrape of the mcp-resource-service job at mcp-resource-service:8000 for more than 1m (up = 0; 1 means no target exists at all).",
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
              "Prometheus has had no successful scrape of the mcp-resource-service job for more than 1m (up = 1; 1 means no target exists at all).",
          },
        ],
      },
      { kind: "below", name: "scrapes succeed", series: [serviceUp(1)] },
      { kind: "idle", name: "idle but up", series: [serviceUp(1), ...idleLoadingHistograms()] },
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
