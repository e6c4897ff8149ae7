/**
 * A constant-arrival-rate run, the open model of k6's `constant-arrival-rate` executor:
 * request i is due at start + i/rate whatever happened to request i-1, on a pool of at most
 * `maxInFlight` connections. A request that finds every connection busy is dropped and
 * counted (k6's dropped_iterations) rather than queued, so a target that cannot keep up
 * shows as drops, not as a quietly lower rate.
 *
 * autocannon's `overallRate` is not this: it lets each connection send its share of a second
 * back to back when the second starts, so every second begins with a burst of `rate`
 * requests and its p99 measures how fast the burst drains.
 */
import * as hdr from "hdr-histogram-js";
import { Pool } from "undici";

export interface ArrivalRateOptions {
  baseUrl: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Connections in the pool, the most requests in flight at once (k6's maxVUs). */
  maxInFlight: number;
  headers: Record<string, string>;
  /** The path (and query) of the next request. */
  nextPath: () => string;
  /**
   * Seconds at the same rate before recording starts, on the same connections: the pool's
   * connections are open and both sides' JIT is warm when measuring begins. Default 0.
   */
  warmupSeconds?: number;
  /** Called once, as the first recorded request falls due (e.g. to empty a cache). */
  onRecordingStart?: () => void;
}

export interface ArrivalRateResult {
  /** Latency, µs, from each request's send to the end of its response body. */
  latency: { p50: number; p95: number; p99: number; max: number };
  /** How late requests were sent against their schedule, µs: the generator's own lag. */
  sendLag: { p99: number; max: number };
  completed: number;
  dropped: number;
  /** Failure reason → count (status other than 200, connection errors, timeouts). */
  failures: Record<string, number>;
  elapsedSeconds: number;
}

/** The scheduler wakes this often and sends whatever has fallen due since. */
const TICK_MS = 1;

export async function constantArrivalRate(options: ArrivalRateOptions): Promise<ArrivalRateResult> {
  const { rate, seconds, maxInFlight } = options;
  const pool = new Pool(options.baseUrl, { connections: maxInFlight, pipelining: 1 });
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
  const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
  const failures: Record<string, number> = {};
  const fail = (why: string) => {
    failures[why] = (failures[why] ?? 0) + 1;
  };
  const warmup = Math.round(rate * (options.warmupSeconds ?? 0));
  const total = warmup + Math.round(rate * seconds);
  let sent = 0;
  let dropped = 0;
  let completed = 0;
  let inFlight = 0;
  const inFlightDone: Array<Promise<void>> = [];

  const send = async (dueAt: number, recorded: boolean) => {
    const startedAt = performance.now();
    if (recorded) lag.recordValue(Math.max(1, Math.round((startedAt - dueAt) * 1000)));
    inFlight += 1;
    try {
      const response = await pool.request({
        path: options.nextPath(),
        method: "GET",
        headers: options.headers,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await response.body.dump({ limit: Number.POSITIVE_INFINITY });
      if (!recorded) return;
      latency.recordValue(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
      if (response.statusCode !== 200) fail(`status ${response.statusCode}`);
      completed += 1;
    } catch (error) {
      if (recorded) fail((error as { code?: string }).code ?? "request error");
    } finally {
      inFlight -= 1;
    }
  };

  const start = performance.now();
  let recordingFrom = start;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        const dueAt = start + (sent * 1000) / rate;
        const recorded = sent >= warmup;
        if (sent === warmup) {
          recordingFrom = dueAt;
          options.onRecordingStart?.();
        }
        sent += 1;
        if (inFlight >= maxInFlight) {
          if (recorded) dropped += 1;
        } else inFlightDone.push(send(dueAt, recorded));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  await Promise.all(inFlightDone);
  const elapsedSeconds = (performance.now() - recordingFrom) / 1000;
  await pool.close();

  const at = (h: hdr.Histogram, p: number) => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p));
  const result: ArrivalRateResult = {
    latency: { p50: at(latency, 50), p95: at(latency, 95), p99: at(latency, 99), max: latency.maxValue },
    sendLag: { p99: at(lag, 99), max: lag.maxValue },
    completed,
    dropped,
    failures,
    elapsedSeconds,
  };
  latency.destroy();
  lag.destroy();
  return result;
}
