import { resourceKind, routePath } from "../../../lib/contract/resource-kinds.js";
import { JOBS, SERVICES } from "../../../lib/contract/stack.js";
import type { RecordingNames } from "../rules/recording.js";
import { sloRecordNames } from "../rules/slo.js";
import {
  cacheLookups,
  httpRequests,
  idleLoadingHistograms,
  loadingHistogram,
  REPLICAS,
  replicaUp,
  vanishing,
} from "./series.js";
import type { ExprTest } from "./types.js";

/**
 * Values of the recording rules on known inputs, so a wrong aggregation (a lost `by`, a
 * swapped ratio) fails in promtool before it reaches a dashboard. Worked out by hand from
 * the bucket edges, as in alert-scenarios.ts.
 */
export function exprTests(names: RecordingNames): ExprTest[] {
  return [...singleInstanceTests(names), ...replicaTests(names)];
}

/**
 * With N replicas every series exists once per `instance`. Each case has replicas with unequal
 * traffic, so the right form (sum the rates or buckets over instances, then divide or take the
 * quantile) gives another number than an average or maximum of per-instance values would.
 */
function replicaTests(names: RecordingNames): ExprTest[] {
  const [r1, r2, r3] = REPLICAS;
  const replicaAlert = "ResourceServiceReplicaDown";
  const firing = `ALERTS{alertname="${replicaAlert}", alertstate="firing", instance="${r3}", job="${JOBS.service}", service="${SERVICES.resource}", severity="ticket"}`;
  const scaleIn = [replicaUp(r1, 1), replicaUp(r2, 1), vanishing(replicaUp(r3, 1), 1)];
  return [
    {
      // Rank 0.95 * 600 = 570 of the summed buckets lies half-way through (0.1, 0.15]:
      // 125 ms, above the target. Per replica the p95s are 4.9 ms and 147.5 ms: averaged
      // 76 ms, within the target; their maximum 147.5 ms.
      name: "overall p95 over two replicas comes from their summed buckets",
      series: [
        ...loadingHistogram(540, [[0.004, 1]], { resource_type: "sdlc", cache_result: "hit", instance: r1 }),
        ...loadingHistogram(60, [[0.12, 1]], { resource_type: "sdlc", cache_result: "hit", instance: r2 }),
      ],
      expr: names.latency(0.95, "overall"),
      evalMinutes: 10,
      expect: [{ labels: names.latency(0.95, "overall"), value: 0.125 }],
    },
    {
      // 540 hits of 720 lookups; the per-replica ratios 0.9 and 0 would average 0.45.
      name: "overall hit ratio over two replicas sums lookups before dividing",
      series: [...cacheLookups(540, 60, "sdlc", r1), ...cacheLookups(0, 120, "sdlc", r2)],
      expr: names.hitRatio.overall,
      evalMinutes: 10,
      expect: [{ labels: names.hitRatio.overall, value: 0.75 }],
    },
    {
      // 60 errors of 600 requests; the per-replica ratios 0, 0 and 0.5 would average 0.1667.
      name: "error ratio over three replicas sums requests before dividing",
      series: [
        ...httpRequests(routePath(resourceKind("sdlc")), { "200": 300 }, r1),
        ...httpRequests(routePath(resourceKind("sdlc")), { "200": 180 }, r2),
        ...httpRequests(routePath(resourceKind("sdlc")), { "200": 60, "500": 60 }, r3),
      ],
      expr: names.errorRatio,
      evalMinutes: 10,
      expect: [{ labels: names.errorRatio, value: 0.1 }],
    },
    {
      name: "load rate adds the replicas' loads",
      series: [
        ...loadingHistogram(600, [[0.004, 1]], { resource_type: "sdlc", cache_result: "hit", instance: r1 }),
        ...loadingHistogram(300, [[0.004, 1]], { resource_type: "sdlc", cache_result: "hit", instance: r2 }),
      ],
      expr: names.loadRate.overall,
      evalMinutes: 10,
      expect: [{ labels: names.loadRate.overall, value: 15 }],
    },
    {
      name: "replicas up counts the targets that answer",
      series: [replicaUp(r1, 1), replicaUp(r2, 1), replicaUp(r3, 0)],
      expr: names.replicasUp,
      evalMinutes: 10,
      expect: [{ labels: `${names.replicasUp}{job="${JOBS.service}"}`, value: 2 }],
    },
    {
      name: "a scale-in from three replicas to two (dns_sd) is ticketed while the window remembers the third",
      series: scaleIn,
      expr: `ALERTS{alertname="${replicaAlert}"}`,
      evalMinutes: 6,
      expect: [{ labels: firing, value: 1 }],
    },
    {
      name: "and resolves once the window no longer holds it: the documented trade-off",
      series: scaleIn,
      expr: `ALERTS{alertname="${replicaAlert}"}`,
      evalMinutes: 15,
      expect: [],
    },
  ];
}

function singleInstanceTests(names: RecordingNames): ExprTest[] {
  return [
    {
      name: "overall p95 interpolates inside the (0.1, 0.15] bucket",
      series: loadingHistogram(600, [
        [0.004, 0.9],
        [0.12, 0.1],
      ]),
      expr: names.latency(0.95, "overall"),
      evalMinutes: 10,
      expect: [{ labels: names.latency(0.95, "overall"), value: 0.125 }],
    },
    {
      name: "p50 by resource type and cache result keeps both labels",
      series: [
        ...loadingHistogram(600, [[0.004, 1]], { resource_type: "patterns", cache_result: "hit" }),
        ...loadingHistogram(60, [[0.04, 1]], { resource_type: "patterns", cache_result: "miss" }),
      ],
      expr: names.latency(0.5, "byTypeAndResult"),
      evalMinutes: 10,
      expect: [
        // Rank 0.5 of loads all in (0.003, 0.005]: 0.003 + 0.5 * 0.002.
        {
          labels: `${names.latency(0.5, "byTypeAndResult")}{resource_type="patterns", cache_result="hit"}`,
          value: 0.004,
        },
        // All in (0.03, 0.05]: 0.03 + 0.5 * 0.02.
        {
          labels: `${names.latency(0.5, "byTypeAndResult")}{resource_type="patterns", cache_result="miss"}`,
          value: 0.04,
        },
      ],
    },
    {
      name: "hit ratio by resource type",
      series: [...cacheLookups(300, 100, "sdlc"), ...cacheLookups(100, 300, "templates")],
      expr: names.hitRatio.byType,
      evalMinutes: 10,
      expect: [
        { labels: `${names.hitRatio.byType}{resource_type="sdlc"}`, value: 0.75 },
        { labels: `${names.hitRatio.byType}{resource_type="templates"}`, value: 0.25 },
      ],
    },
    {
      name: "overall hit ratio sums before dividing",
      series: [...cacheLookups(300, 100, "sdlc"), ...cacheLookups(100, 300, "templates")],
      expr: names.hitRatio.overall,
      evalMinutes: 10,
      expect: [{ labels: names.hitRatio.overall, value: 0.5 }],
    },
    {
      name: "error ratio is 0, not empty, on a healthy service",
      series: httpRequests(routePath(resourceKind("sdlc")), { "200": 600 }),
      expr: names.errorRatio,
      evalMinutes: 10,
      expect: [{ labels: names.errorRatio, value: 0 }],
    },
    {
      name: "error ratio counts only 5xx on resource routes",
      series: [
        // Multiples of 60 per minute: whole rates, so the ratio is exact in floating point.
        ...httpRequests(routePath(resourceKind("templates")), { "200": 180, "404": 60, "500": 60 }),
        ...httpRequests("/metrics", { "200": 4, "500": 4 }),
      ],
      expr: names.errorRatio,
      evalMinutes: 10,
      expect: [{ labels: names.errorRatio, value: 0.2 }],
    },
    {
      name: "request rate in loads per second",
      series: idleLoadingHistograms().concat(loadingHistogram(600, [[0.004, 1]])),
      expr: names.loadRate.overall,
      evalMinutes: 10,
      expect: [{ labels: names.loadRate.overall, value: 10 }],
    },
    {
      name: "latency SLI error ratio is the share of loads above 100 ms",
      series: loadingHistogram(600, [
        [0.004, 0.75],
        [0.3, 0.25],
      ]),
      expr: sloRecordNames.errorRatio("1h"),
      evalMinutes: 10,
      expect: [{ labels: `${sloRecordNames.errorRatio("1h")}{slo="resource-loading-latency"}`, value: 0.25 }],
    },
  ];
}
