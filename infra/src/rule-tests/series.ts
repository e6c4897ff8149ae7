import { LOADING_BUCKETS, METRICS } from "../../../lib/contract/metrics.js";
import { RESOURCE_TYPES } from "../../../lib/contract/resource-kinds.js";
import { HAPROXY_METRICS_PORT, JOBS } from "../../../lib/contract/stack.js";
import { HAPROXY_METRICS, HAPROXY_SERVER_STATES, type HaproxyServerState } from "../haproxy-metrics.js";

/**
 * One promtool input series that moves linearly: `start` at minute 0, then `step` more each
 * evaluation interval. Counters step by "events per interval", gauges have step 0.
 */
export interface SeriesSpec {
  readonly series: string;
  readonly start: number;
  readonly step: number;
  /**
   * promtool's notation for samples that do not follow the line (a target that appears late,
   * or vanishes): used as given, instead of start+step.
   */
  readonly values?: string;
}

export type Labels = Readonly<Record<string, string>>;

const SERVICE_TARGET = { job: JOBS.service, instance: `${JOBS.service}:8000` } as const;

/**
 * Replica addresses as dns_sd (compose) or file_sd (native twin) label them: with N replicas
 * every series of the service exists once per `instance`, and the rules must aggregate over them.
 */
export const REPLICAS = ["10.89.0.11:8000", "10.89.0.12:8000", "10.89.0.13:8000"] as const;

/** HAProxy's exporter as Prometheus labels it (compose address). */
export const HAPROXY_TARGET = {
  job: JOBS.balancer,
  instance: `${JOBS.balancer}:${HAPROXY_METRICS_PORT}`,
} as const;

export function seriesName(metric: string, labels: Labels): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
  return `${metric}{${body}}`;
}

const clean = (x: number) => Number(x.toFixed(6));

export function counter(metric: string, labels: Labels, perInterval: number): SeriesSpec {
  return { series: seriesName(metric, labels), start: 0, step: clean(perInterval) };
}

export function gauge(metric: string, labels: Labels, value: number): SeriesSpec {
  return { series: seriesName(metric, labels), start: value, step: 0 };
}

/** A latency mix: [latency in seconds, fraction of requests] pairs; fractions sum to 1. */
export type LatencyMix = readonly (readonly [seconds: number, fraction: number])[];

/**
 * The service's loading-latency histogram (its real buckets) for `perInterval` loads per
 * interval distributed as `mix`. Quantiles then follow from the bucket edges around each
 * latency, which is how the expected values in the scenarios were worked out.
 */
export function loadingHistogram(
  perInterval: number,
  mix: LatencyMix,
  labels: Labels = { resource_type: "sdlc", cache_result: "hit" },
): SeriesSpec[] {
  const total = mix.reduce((sum, [, fraction]) => sum + fraction, 0);
  if (Math.abs(total - 1) > 1e-9) throw new Error(`latency mix fractions sum to ${total}, not 1`);
  const all = { ...SERVICE_TARGET, ...labels };
  const atOrBelow = (le: number) =>
    mix.filter(([seconds]) => seconds <= le).reduce((sum, [, fraction]) => sum + fraction, 0);
  return [
    ...LOADING_BUCKETS.map((le) =>
      counter(`${METRICS.loadingLatency}_bucket`, { ...all, le: String(le) }, perInterval * atOrBelow(le)),
    ),
    counter(`${METRICS.loadingLatency}_bucket`, { ...all, le: "+Inf" }, perInterval),
    counter(`${METRICS.loadingLatency}_count`, all, perInterval),
  ];
}

/** The zero-initialised histogram series of an idle service (every type x result, all flat). */
export function idleLoadingHistograms(): SeriesSpec[] {
  return RESOURCE_TYPES.flatMap((type) =>
    (["hit", "miss"] as const).flatMap((result) =>
      loadingHistogram(0, [[0.001, 1]], { resource_type: type, cache_result: result }),
    ),
  );
}

export function cacheLookups(
  hitsPerInterval: number,
  missesPerInterval: number,
  type = "patterns",
  instance: string = SERVICE_TARGET.instance,
): SeriesSpec[] {
  const labels = { ...SERVICE_TARGET, instance, resource_type: type };
  return [
    counter(METRICS.cacheHits, labels, hitsPerInterval),
    counter(METRICS.cacheMisses, labels, missesPerInterval),
  ];
}

/** http_request_duration_seconds_count for one route, by status code: {"200": n, "503": m}. */
export function httpRequests(
  route: string,
  perIntervalByStatus: Readonly<Record<string, number>>,
  instance: string = SERVICE_TARGET.instance,
): SeriesSpec[] {
  return Object.entries(perIntervalByStatus).map(([status, n]) =>
    counter(
      `${METRICS.httpDuration}_count`,
      { ...SERVICE_TARGET, instance, method: "GET", route, status_code: status },
      n,
    ),
  );
}

export function up(job: string, instance: string, value: 0 | 1): SeriesSpec {
  return gauge("up", { job, instance }, value);
}

export function serviceUp(value: 0 | 1): SeriesSpec {
  return up(JOBS.service, SERVICE_TARGET.instance, value);
}

export function cacheUp(value: 0 | 1, instance: string = SERVICE_TARGET.instance): SeriesSpec {
  return gauge(METRICS.cacheUp, { ...SERVICE_TARGET, instance }, value);
}

/** `up` of one replica of the service. */
export function replicaUp(instance: string, value: 0 | 1): SeriesSpec {
  return up(JOBS.service, instance, value);
}

/**
 * A series that has `samples` samples, then a staleness marker: what Prometheus writes when a
 * target leaves service discovery (dns_sd in compose: a stopped replica's address is gone).
 */
export function vanishing(spec: SeriesSpec, samples: number): SeriesSpec {
  if (samples < 1) throw new Error("a vanishing series needs at least one sample");
  return { ...spec, values: `${spec.start}+${spec.step}x${samples - 1} stale` };
}

/** A series with no samples for the first `missing` intervals (a target that appears later). */
export function appearing(spec: SeriesSpec, missing: number, total: number): SeriesSpec {
  return { ...spec, values: `_x${missing} ${spec.start}+${spec.step}x${total - missing}` };
}

/** HAProxy's per-state gauge of one server (one series per state, 1 for the current one). */
export function haproxyServerStatus(proxy: string, server: string, state: HaproxyServerState): SeriesSpec[] {
  return HAPROXY_SERVER_STATES.map((s) =>
    gauge(HAPROXY_METRICS.serverStatus, { ...HAPROXY_TARGET, proxy, server, state: s }, s === state ? 1 : 0),
  );
}

/** Servers of a backend HAProxy counts as UP and routable (same meaning on 2.6 and 3.x). */
export function haproxyActiveServers(proxy: string, value: number): SeriesSpec {
  return gauge(HAPROXY_METRICS.activeServers, { ...HAPROXY_TARGET, proxy }, value);
}

export function redisUp(value: 0 | 1): SeriesSpec {
  return gauge("redis_up", { job: JOBS.redis, instance: "redis-exporter:9121" }, value);
}

export function redisEvictions(perInterval: number): SeriesSpec {
  return counter(
    "redis_evicted_keys_total",
    { job: JOBS.redis, instance: "redis-exporter:9121" },
    perInterval,
  );
}

/** The compose addresses of Prometheus and Alertmanager, as their self-scrapes label them. */
export const PROMETHEUS_TARGET = { job: JOBS.prometheus, instance: "prometheus:9090" } as const;
export const ALERTMANAGER_TARGET = { job: JOBS.alertmanager, instance: "alertmanager:9093" } as const;

/** The `alertmanager` label of Prometheus' notification metrics. */
export const ALERTMANAGER_API = "http://alertmanager:9093/api/v2/alerts";

export function prometheusCounter(metric: string, perInterval: number, labels: Labels = {}): SeriesSpec {
  return counter(metric, { ...PROMETHEUS_TARGET, ...labels }, perInterval);
}

export function prometheusGauge(metric: string, value: number): SeriesSpec {
  return gauge(metric, PROMETHEUS_TARGET, value);
}

export function alertmanagerCounter(metric: string, perInterval: number, labels: Labels = {}): SeriesSpec {
  return counter(metric, { ...ALERTMANAGER_TARGET, ...labels }, perInterval);
}

export function alertmanagerGauge(metric: string, value: number): SeriesSpec {
  return gauge(metric, ALERTMANAGER_TARGET, value);
}

/** A counter that counted `total` long ago and has not moved since (past incidents). */
export function flatCounter(spec: SeriesSpec, total: number): SeriesSpec {
  return { ...spec, start: total, step: 0 };
}

/**
 * Cache fills (file reads) and the failed writes to Redis that follow them, per interval, as
 * the service counts them: every fill is one write attempt.
 */
export function cacheFills(fillsPerInterval: number, failedWritesPerInterval: number): SeriesSpec[] {
  return [
    counter(METRICS.fileReads, { ...SERVICE_TARGET, resource_type: "patterns" }, fillsPerInterval),
    counter(METRICS.cacheErrors, { ...SERVICE_TARGET, operation: "set" }, failedWritesPerInterval),
    counter(METRICS.cacheErrors, { ...SERVICE_TARGET, operation: "get" }, 0),
  ];
}
