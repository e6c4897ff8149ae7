import type { Logger } from "pino";
import type { ResourceRef } from "../../lib/contract/resource-kinds.js";
import { type ContentStore, ResourceNotFoundError } from "./content-store.js";
import { counterSeries, histogramSeries, SeriesCache } from "./metric-series.js";
import type { ServiceMetrics } from "./metrics.js";
import {
  type BodyEncoding,
  type BodyEntry,
  buildBodyEntry,
  type CachedBody,
  variantOf,
} from "./resource-body.js";
import type { ResourceCache } from "./resource-cache.js";
import { exemplarLabels, inSpan, recordingSpan, type TraceLabels, tracer } from "./telemetry/tracing.js";

export interface LoadedResource extends CachedBody {
  readonly cacheResult: "hit" | "miss";
}

export interface ResourceLoader {
  /** Cache-aside load of one resource in the wanted encoding. Throws ResourceNotFoundError. */
  load(ref: ResourceRef, encoding: BodyEncoding): Promise<LoadedResource>;
  /**
   * The same load when the in-process tier holds the resource, answered synchronously (same
   * metrics, same `resource.load` span); `undefined` when it does not, and then `load` it.
   */
  loadLocal(ref: ResourceRef, encoding: BodyEncoding): LoadedResource | undefined;
}

/** With Redis unavailable, how long one disk read and compression serves every miss of its key. */
export const DEGRADED_REUSE_MS = 1_000;

export interface ResourceLoaderDeps {
  cache: ResourceCache;
  store: ContentStore;
  metrics: ServiceMetrics;
  logger: Logger;
  compressionMinBytes: number;
}

/**
 * Cache-aside: Redis first; on a miss, one disk read per key however many requests miss at
 * once (single-flight), then the finished entry goes back to Redis without the request
 * waiting for that write. Every path, REST or MCP, loads through here, so metrics and keys
 * are the same for both.
 */
export function createResourceLoader(deps: ResourceLoaderDeps): ResourceLoader {
  const { cache, store, metrics, logger } = deps;
  const fillsInFlight = new Map<string, Promise<BodyEntry>>();
  /** The finished entry of each shared fill, for loadLocal while Redis is unavailable. */
  const fillsDone = new Map<string, BodyEntry>();
  // Per-request observations through pre-resolved series (see metric-series.ts).
  const hits = new SeriesCache((type) => counterSeries(metrics.cacheHits, { resource_type: type }));
  const misses = new SeriesCache((type) => counterSeries(metrics.cacheMisses, { resource_type: type }));
  const loadLatencies = new SeriesCache((key) => {
    const [type = "", result = ""] = key.split(" ");
    const labels = { resource_type: type, cache_result: result };
    return histogramSeries(metrics.loadingLatency, labels, (value) =>
      metrics.loadingLatency.observe({ labels, value }),
    );
  });

  function fill(ref: ResourceRef): Promise<BodyEntry> {
    const pending = fillsInFlight.get(ref.cacheKey);
    if (pending) return pending;
    const started = (async () => {
      // Spans of the fill are children of the `resource.load` that started it; loads that
      // join an in-flight fill have no read span of their own.
      const text = await inSpan(
        "content.read",
        {
          attributes: { "resource.uri": ref.uri, "file.path": `${ref.segments.join("/")}.md` },
          isExpected: (error) => error instanceof ResourceNotFoundError,
        },
        async (span) => {
          const read = await store.read(ref);
          span.setAttribute("file.size", Buffer.byteLength(read));
          return read;
        },
      );
      metrics.fileReads.inc({ resource_type: ref.type });
      const entry = await inSpan("resource.encode", { attributes: { "resource.uri": ref.uri } }, () =>
        buildBodyEntry(ref, text, deps.compressionMinBytes),
      );
      // The response does not wait for the cache write, but the entry stays shared until
      // Redis has it: a miss that lands in between reuses it instead of reading again. When
      // Redis could not take it (down, timing out, refusing writes, or the entry is over
      // CACHE_MAX_ENTRY_BYTES), it stays shared a little longer, so that costs one read and
      // compression per key per DEGRADED_REUSE_MS, not per request; those requests still count
      // as misses.
      // Still the key's current fill here (only its own set or failure releases it).
      fillsDone.set(ref.cacheKey, entry);
      void cache.set(ref.cacheKey, entry).then((stored) => {
        // A miss whose lookup Redis answered just before this write joins the fill only if the
        // fill is still there when its continuation runs: those replies arrived with or before
        // this one, so their microtasks are done by the next turn of the event loop.
        if (stored) setImmediate(release);
        else setTimeout(release, DEGRADED_REUSE_MS).unref();
      });
      return entry;
    })();
    const release = () => {
      if (fillsInFlight.get(ref.cacheKey) !== started) return;
      fillsInFlight.delete(ref.cacheKey);
      fillsDone.delete(ref.cacheKey);
    };
    started.catch(release);
    fillsInFlight.set(ref.cacheKey, started);
    return started;
  }

  /** The loading-latency observation of one load, with the trace's exemplar when sampled. */
  function observeLoad(
    ref: ResourceRef,
    result: "hit" | "miss",
    seconds: number,
    exemplar: TraceLabels | undefined,
  ) {
    if (!exemplar) {
      loadLatencies.get(`${ref.type} ${result}`)(seconds);
      return;
    }
    metrics.loadingLatency.observe({
      labels: { resource_type: ref.type, cache_result: result },
      value: seconds,
      // prom-client types exemplar labels with the metric's own label names; any names are valid.
      ...(exemplar ? { exemplarLabels: exemplar as unknown as Record<"resource_type", string> } : {}),
    });
  }

  /** Cache-aside with the contract's metrics; runs inside the load's span. */
  async function loadTimed(ref: ResourceRef, encoding: BodyEncoding): Promise<LoadedResource> {
    const started = performance.now();
    const cached = await cache.get(ref.cacheKey, encoding);
    let loaded: LoadedResource;
    // The active span is this load's `resource.load` (set before a miss reads the file, so a
    // missing file's span says miss too).
    recordingSpan()?.setAttribute("cache.result", cached ? "hit" : "miss");
    if (cached) {
      metrics.cacheHits.inc({ resource_type: ref.type });
      loaded = { ...cached, cacheResult: "hit" };
    } else {
      metrics.cacheMisses.inc({ resource_type: ref.type });
      loaded = { ...variantOf(await fill(ref), encoding), cacheResult: "miss" };
    }
    const seconds = (performance.now() - started) / 1000;
    // A sampled trace becomes the exemplar of the bucket this observation lands in.
    observeLoad(ref, loaded.cacheResult, seconds, exemplarLabels());
    if (seconds > 0.1)
      logger.debug({ key: ref.cacheKey, seconds, cache: loaded.cacheResult }, "slow resource load");
    return loaded;
  }

  /**
   * Redis unavailable and a fill of this key still shared (DEGRADED_REUSE_MS): the miss that
   * `load` would answer from that fill, answered without a promise, with the same metrics
   * (an unavailable lookup, a miss, the loading latency). Without it, degraded mode kept the
   * async path the resource lane removed for hits, and served ~0.87 of normal's req/s.
   */
  function loadShared(ref: ResourceRef, encoding: BodyEncoding, started: number): LoadedResource | undefined {
    const shared = fillsDone.get(ref.cacheKey);
    if (!shared || !cache.lookupWhileUnavailable()) return undefined;
    const span = tracer.startSpan("resource.load", {
      attributes: {
        "resource.type": ref.type,
        "resource.uri": ref.uri,
        "cache.key": ref.cacheKey,
        "cache.result": "miss",
      },
    });
    misses.get(ref.type)();
    observeLoad(ref, "miss", (performance.now() - started) / 1000, exemplarLabels(span));
    span.end();
    return { ...variantOf(shared, encoding), cacheResult: "miss" };
  }

  return {
    loadLocal(ref, encoding) {
      // Most requests end here once the tier is warm: no promise, no await between the
      // request and its response. A local hit has no child spans, so its span need not be
      // the active one (which would cost a context switch per request).
      const started = performance.now();
      const cached = cache.peek(ref.cacheKey, encoding);
      if (!cached) return loadShared(ref, encoding, started);
      const span = tracer.startSpan("resource.load", {
        attributes: {
          "resource.type": ref.type,
          "resource.uri": ref.uri,
          "cache.key": ref.cacheKey,
          "cache.result": "hit",
          "cache.tier": "local",
        },
      });
      hits.get(ref.type)();
      observeLoad(ref, "hit", (performance.now() - started) / 1000, exemplarLabels(span));
      span.end();
      return { etag: cached.etag, encoding: cached.encoding, bytes: cached.bytes, cacheResult: "hit" };
    },

    load(ref, encoding) {
      // One `resource.load` span per load: the Redis calls and, on a miss, the file read are
      // its children. A missing resource (404) is recorded on it but is not a span error.
      return inSpan(
        "resource.load",
        {
          attributes: { "resource.type": ref.type, "resource.uri": ref.uri, "cache.key": ref.cacheKey },
          isExpected: (error) => error instanceof ResourceNotFoundError,
        },
        () => loadTimed(ref, encoding),
      );
    },
  };
}
