/**
 * The autocannon engine: the shared workload (profiles, mix, checks, thresholds) driven by
 * autocannon, with every response's latency recorded in an HDR histogram per resource type,
 * endpoint and cache result, so the percentiles are exact to 3 significant digits (not read
 * off autocannon's aggregate, which has no tags).
 *
 * How a latency finds its tag: each autocannon connection (Client) gets its own request
 * list through `setupClient` -> `client.setRequests`, whose `setupRequest` picks the next
 * request from the workload and remembers it on a per-connection state object. A connection
 * has one request in flight (pipelining 1), and autocannon calls `onResponse` (body check)
 * and then emits the client's `response` event (duration, measured from the write of the
 * request to the end of the response) for that request before it builds the next one.
 *
 * The ramp: `spawnRate` connections start every second (one autocannon instance per step,
 * all ending at the same deadline), which is the runbook's spawn rate at 1 s resolution.
 */
import autocannon from "autocannon";
import * as hdr from "hdr-histogram-js";
import { RESOURCE_TYPES, type ResourceType } from "../../../lib/contract/resource-kinds.js";
import { ENDPOINTS, type Endpoint } from "../../../lib/workload/access-pattern.js";
import { checkResponse } from "../../../lib/workload/checks.js";
import { parseBaseUrl } from "../../../lib/workload/load-target.js";
import { type PlannedRequest, pickRequest, type Random, seededRandom } from "../../../lib/workload/plan.js";
import { round } from "../workload/numbers.js";
import { type Profile, rampSteps } from "../workload/profiles.js";
import {
  emptyStats,
  evaluateThresholds,
  type GroupStats,
  type RunSummary,
  type TimelinePoint,
} from "../workload/summary.js";
import type { Threshold } from "../workload/thresholds.js";

export interface AutocannonRunOptions {
  baseUrl: string;
  profile: Profile;
  durationSeconds: number;
  thresholds: readonly Threshold[];
  testId: string;
  /** Repeatable URL sequence (per connection, derived from this seed). Default: random. */
  seed?: number;
  /** Share (0..1) of resource reads sent over POST /mcp instead of REST (the MCP scenario). */
  mcpShare?: number;
  /** Per-request timeout, seconds. */
  timeoutSeconds?: number;
  /** Called about once a second with progress. */
  onProgress?: (p: { second: number; requests: number; failures: number; connections: number }) => void;
  /** Aborts the run early (e.g. Ctrl-C); the summary covers what ran. */
  signal?: AbortSignal;
}

const PERCENTILE_CURVE = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.99, 100];

/** Records latencies in microseconds, 1 µs .. 120 s, 3 significant digits. */
function newHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

class Group {
  readonly hist = newHistogram();
  failures = 0;
  errors = 0;

  record(micros: number, failed: boolean): void {
    this.hist.recordValue(Math.max(1, Math.round(micros)));
    if (failed) this.failures++;
  }

  stats(seconds: number): GroupStats {
    const n = this.hist.totalCount;
    const requests = n + this.errors;
    if (requests === 0) return emptyStats();
    const ms = (p: number) => (n === 0 ? 0 : round(this.hist.getValueAtPercentile(p) / 1000));
    const failures = this.failures + this.errors;
    return {
      requests,
      responses: n,
      failures,
      failureRate: round(failures / requests, 6),
      rps: round(requests / seconds, 2),
      min: n === 0 ? 0 : round(this.hist.minNonZeroValue / 1000),
      mean: n === 0 ? 0 : round(this.hist.mean / 1000),
      p50: ms(50),
      p90: ms(90),
      p95: ms(95),
      p99: ms(99),
      max: n === 0 ? 0 : round(this.hist.maxValue / 1000),
    };
  }

  curve(): Array<{ percentile: number; ms: number }> {
    if (this.hist.totalCount === 0) return [];
    return PERCENTILE_CURVE.map((p) => ({
      percentile: p,
      ms: round((p === 0 ? this.hist.minNonZeroValue : this.hist.getValueAtPercentile(p)) / 1000),
    }));
  }

  destroy(): void {
    this.hist.destroy();
  }
}

/** Everything one run measured; exact per-tag latency histograms plus per-second history. */
export class Recorder {
  readonly overall = new Group();
  readonly byType = new Map<ResourceType, Group>(RESOURCE_TYPES.map((t) => [t, new Group()]));
  readonly byEndpoint = new Map<Endpoint, Group>(ENDPOINTS.map((e) => [e, new Group()]));
  readonly byCache = new Map<"hit" | "miss", Group>([
    ["hit", new Group()],
    ["miss", new Group()],
  ]);
  readonly reasons = new Map<string, number>();
  private readonly seconds: Array<{ requests: number; failures: number; hist: hdr.Histogram }> = [];
  private readonly startedAt: number;
  stopped = false;

  constructor(startedAt = performance.now()) {
    this.startedAt = startedAt;
  }

  private second(): { requests: number; failures: number; hist: hdr.Histogram } {
    const i = Math.floor((performance.now() - this.startedAt) / 1000);
    while (this.seconds.length <= i) {
      this.seconds.push({
        requests: 0,
        failures: 0,
        hist: hdr.build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: 120_000_000,
          numberOfSignificantValueDigits: 2,
        }),
      });
    }
    return this.seconds[i] as { requests: number; failures: number; hist: hdr.Histogram };
  }

  private reason(reason: string): void {
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }

  /** A completed response. */
  response(
    req: PlannedRequest,
    durationMs: number,
    failure: string | undefined,
    cache: string | undefined,
  ): void {
    if (this.stopped) return;
    const micros = durationMs * 1000;
    const failed = failure !== undefined;
    this.overall.record(micros, failed);
    this.byType.get(req.resourceType)?.record(micros, failed);
    this.byEndpoint.get(req.endpoint)?.record(micros, failed);
    const c = cache?.toLowerCase();
    if (c === "hit" || c === "miss") this.byCache.get(c)?.record(micros, false);
    const s = this.second();
    s.requests++;
    s.hist.recordValue(Math.max(1, Math.round(micros)));
    if (failure !== undefined) {
      s.failures++;
      this.reason(failure);
    }
  }

  /** A request that got no response (timeout, connection error): a failure without latency. */
  error(req: PlannedRequest | undefined, reason: string): void {
    if (this.stopped) return;
    this.overall.errors++;
    if (req) {
      const t = this.byType.get(req.resourceType);
      if (t) t.errors++;
      const e = this.byEndpoint.get(req.endpoint);
      if (e) e.errors++;
    }
    const s = this.second();
    s.requests++;
    s.failures++;
    this.reason(reason);
  }

  /** Whole seconds only: a trailing partial second would look like a throughput drop. */
  timeline(durationSeconds: number): TimelinePoint[] {
    return this.seconds.slice(0, Math.max(1, Math.floor(durationSeconds + 1e-6))).map((s, i) => ({
      second: i + 1,
      requests: s.requests,
      failures: s.failures,
      p50: s.hist.totalCount ? round(s.hist.getValueAtPercentile(50) / 1000) : 0,
      p95: s.hist.totalCount ? round(s.hist.getValueAtPercentile(95) / 1000) : 0,
      p99: s.hist.totalCount ? round(s.hist.getValueAtPercentile(99) / 1000) : 0,
    }));
  }

  destroy(): void {
    for (const g of [
      this.overall,
      ...this.byType.values(),
      ...this.byEndpoint.values(),
      ...this.byCache.values(),
    ]) {
      g.destroy();
    }
    for (const s of this.seconds) s.hist.destroy();
  }
}

interface ConnectionState {
  current: PlannedRequest | undefined;
  previous: PlannedRequest | undefined;
  failure: string | undefined;
  cache: string | undefined;
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) {
      const v = headers[key];
      return Array.isArray(v) ? String(v[0]) : typeof v === "string" ? v : undefined;
    }
  }
  return undefined;
}

function errorReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return `connection error: ${typeof code === "string" ? code : String((error as Error)?.message ?? error)}`;
}

/** Runs the profile with autocannon and returns the shared summary (thresholds evaluated). */
export async function runAutocannon(opts: AutocannonRunOptions): Promise<RunSummary> {
  const target = parseBaseUrl(opts.baseUrl);
  const durationMs = Math.round(opts.durationSeconds * 1000);
  const steps = rampSteps(opts.profile, opts.durationSeconds);
  const baseRandom: Random = opts.seed === undefined ? Math.random : seededRandom(opts.seed);
  let connectionIndex = 0;

  const startedAtIso = new Date().toISOString();
  const t0 = performance.now();
  const recorder = new Recorder(t0);
  const instances: autocannon.Instance[] = [];
  const finished: Array<Promise<void>> = [];
  const timers: NodeJS.Timeout[] = [];
  let connections = 0;
  const clients: autocannon.Client[] = [];

  const setupClient = (client: autocannon.Client) => {
    clients.push(client);
    const random =
      opts.seed === undefined
        ? baseRandom
        : seededRandom(Math.floor(baseRandom() * 2 ** 32) ^ connectionIndex++);
    const state: ConnectionState = {
      current: undefined,
      previous: undefined,
      failure: undefined,
      cache: undefined,
    };
    const restHeaders = { accept: "application/json", "user-agent": "mcp-loadtest-autocannon" };
    client.setRequests([
      {
        method: "GET",
        headers: restHeaders,
        setupRequest: (request) => {
          state.previous = state.current;
          state.current = pickRequest(random, opts.mcpShare ?? 0);
          state.failure = undefined;
          state.cache = undefined;
          const { path, method = "GET", body, headers } = state.current;
          return {
            ...request,
            path,
            method,
            headers: headers ? { ...headers, "user-agent": restHeaders["user-agent"] } : restHeaders,
            // Explicit, so a GET after an MCP POST on the same connection carries no body.
            body,
          };
        },
        onResponse: (status, body, _context, headers) => {
          if (!state.current) return;
          state.failure = checkResponse(state.current.expect, status, body);
          state.cache = headerValue(headers as Record<string, unknown>, "x-cache");
        },
      },
    ]);
    // Emitted right after onResponse for the same request, before the next one is built.
    client.on("response", (_status: number, _bytes: number, durationMs: number) => {
      if (state.current) recorder.response(state.current, durationMs, state.failure, state.cache);
    });
    // On a timeout autocannon reconnects and builds the next request before emitting.
    // (`timeout` and `connError` are emitted by autocannon's Client but not in its typings.)
    const events = client as NodeJS.EventEmitter;
    events.on("timeout", () => recorder.error(state.previous, "timeout"));
    // On a connection error it emits first, then reconnects.
    events.on("connError", (error: unknown) => recorder.error(state.current, errorReason(error)));
  };

  const startStep = (users: number) => {
    const remaining = (durationMs - (performance.now() - t0)) / 1000;
    if (remaining <= 0.05 || recorder.stopped) return;
    connections += users;
    finished.push(
      new Promise<void>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${target.protocol}://${target.host}:${target.port}`,
            connections: users,
            pipelining: 1,
            duration: remaining,
            timeout: opts.timeoutSeconds ?? 10,
            sampleInt: 200,
            setupClient,
          },
          (error) => (error ? reject(error) : resolve()),
        );
        instances.push(instance);
      }),
    );
  };

  const progress = setInterval(() => {
    opts.onProgress?.({
      second: Math.round((performance.now() - t0) / 1000),
      requests: recorder.overall.hist.totalCount + recorder.overall.errors,
      failures: recorder.overall.failures + recorder.overall.errors,
      connections,
    });
  }, 1000);

  for (const step of steps) {
    if (step.atSecond === 0) startStep(step.users);
    else timers.push(setTimeout(() => startStep(step.users), step.atSecond * 1000));
  }

  // The hard deadline: stop recording and stop every instance at the profile's end.
  const stopAll = () => {
    recorder.stopped = true;
    for (const t of timers) clearTimeout(t);
    // Close every connection now (autocannon's own stop waits for its next sample tick and
    // keeps sending until then); at most one request per connection is cut off in flight.
    for (const c of clients) (c as unknown as { destroy(): void }).destroy();
    for (const i of instances) i.stop();
  };
  const deadline = setTimeout(stopAll, durationMs);
  const onAbort = () => stopAll();
  opts.signal?.addEventListener("abort", onAbort);

  try {
    await new Promise<void>((resolve) => {
      const check = () => (recorder.stopped ? resolve() : setTimeout(check, 50));
      check();
    });
    await Promise.all(finished);
  } finally {
    clearTimeout(deadline);
    clearInterval(progress);
    opts.signal?.removeEventListener("abort", onAbort);
  }

  const seconds = Math.min(durationMs, performance.now() - t0) / 1000;
  const byResourceType = {} as Record<ResourceType, GroupStats>;
  for (const t of RESOURCE_TYPES) byResourceType[t] = (recorder.byType.get(t) as Group).stats(seconds);
  const byEndpoint = {} as Record<Endpoint, GroupStats>;
  for (const e of ENDPOINTS) byEndpoint[e] = (recorder.byEndpoint.get(e) as Group).stats(seconds);
  const byCacheResult: RunSummary["byCacheResult"] = {};
  for (const r of ["hit", "miss"] as const) {
    const g = recorder.byCache.get(r) as Group;
    if (g.hist.totalCount > 0) byCacheResult[r] = g.stats(seconds);
  }
  const overall = recorder.overall.stats(seconds);
  const distribution: RunSummary["distribution"] = { overall: recorder.overall.curve() };
  for (const t of RESOURCE_TYPES) distribution[t] = (recorder.byType.get(t) as Group).curve();
  const thresholds = evaluateThresholds(opts.thresholds, { overall, byResourceType });
  const summary: RunSummary = {
    schema: "mcp-loadtest-summary/v1",
    engine: "autocannon",
    profile: opts.profile.name,
    testId: opts.testId,
    baseUrl: target.origin,
    startedAt: startedAtIso,
    durationSeconds: round(seconds, 2),
    config: {
      users: opts.profile.users,
      spawnRate: opts.profile.spawnRate,
      durationSeconds: opts.durationSeconds,
    },
    overall,
    byResourceType,
    byEndpoint,
    byCacheResult,
    failureReasons: Object.fromEntries(recorder.reasons),
    thresholds,
    passed: thresholds.every((t) => t.ok || !t.gating),
    distribution,
    timeline: recorder.timeline(seconds),
  };
  recorder.destroy();
  return summary;
}
