import type { Logger } from "pino";
import type { ContentStore } from "./content-store.js";
import type { ServiceMetrics } from "./metrics.js";
import { buildBodyEntry } from "./resource-body.js";
import type { BodyEncoding, BodyEntry, CachedBody, ResourceCache } from "./resource-cache.js";
import type { ResourceRef } from "./resource-names.js";

export interface LoadedResource extends CachedBody {
  readonly cacheResult: "hit" | "miss";
}

export interface ResourceLoader {
  /** Cache-aside load of one resource in the wanted encoding. Throws ResourceNotFoundError. */
  load(ref: ResourceRef, encoding: BodyEncoding): Promise<LoadedResource>;
}

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

  function fill(ref: ResourceRef): Promise<BodyEntry> {
    const pending = fillsInFlight.get(ref.cacheKey);
    if (pending) return pending;
    const started = (async () => {
      const text = await store.read(ref);
      metrics.fileReads.inc({ resource_type: ref.type });
      const entry = await buildBodyEntry(ref, text, deps.compressionMinBytes);
      // The response does not wait for the cache write, but the entry stays shared until
      // Redis has it: a miss that lands in between reuses it instead of reading again.
      void cache.set(ref.cacheKey, entry).finally(() => fillsInFlight.delete(ref.cacheKey));
      return entry;
    })();
    started.catch(() => fillsInFlight.delete(ref.cacheKey));
    fillsInFlight.set(ref.cacheKey, started);
    return started;
  }

  return {
    async load(ref, encoding) {
      const started = performance.now();
      const cached = await cache.get(ref.cacheKey, encoding);
      let loaded: LoadedResource;
      if (cached) {
        metrics.cacheHits.inc({ resource_type: ref.type });
        loaded = { ...cached, cacheResult: "hit" };
      } else {
        metrics.cacheMisses.inc({ resource_type: ref.type });
        const entry = await fill(ref);
        const variant = encoding === "identity" ? undefined : entry[encoding];
        loaded = variant
          ? { etag: entry.etag, encoding, bytes: variant, cacheResult: "miss" }
          : { etag: entry.etag, encoding: "identity", bytes: entry.identity, cacheResult: "miss" };
      }
      const seconds = (performance.now() - started) / 1000;
      metrics.loadingLatency.observe({ resource_type: ref.type, cache_result: loaded.cacheResult }, seconds);
      if (seconds > 0.1)
        logger.debug({ key: ref.cacheKey, seconds, cache: loaded.cacheResult }, "slow resource load");
      return loaded;
    },
  };
}
