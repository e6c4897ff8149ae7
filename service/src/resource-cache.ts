import type { Logger } from "pino";
import {
  ALL_FIELDS,
  entryFields,
  type Verified,
  variantFields,
  verifyEntry,
  verifyVariant,
} from "./cache-entry.js";
import { LocalTier } from "./local-tier.js";
import type { InvalidEntryReason } from "./metric-labels.js";
import { counterSeries, histogramSeries } from "./metric-series.js";
import type { ServiceMetrics } from "./metrics.js";
import { rateLimited } from "./rate-limited.js";
import { createCacheClient, redactRedisUrl } from "./redis-client.js";
import { FAILURES_TO_DOWN, RedisHealth } from "./redis-health.js";
import { type BodyEncoding, type BodyEntry, type CachedBody, variantOf } from "./resource-body.js";
import { recordError, recordingSpan } from "./telemetry/tracing.js";

/**
 * What readiness reports about the cache: usable, or why not. `writes_failing` means Redis
 * answers but refused or timed out the last write (maxmemory with noeviction, a read-only
 * replica): hits still work, fills do not.
 */
export type CacheState = "ok" | "disconnected" | "not_answering" | "writes_failing";

export interface ResourceCache {
  /** Returns the wanted variant on a hit, `undefined` on a miss, an error or a timeout. */
  get(key: string, encoding: BodyEncoding): Promise<CachedBody | undefined>;
  /**
   * The wanted variant when the in-process tier holds it, without waiting for anything;
   * `undefined` otherwise (then `get` is the lookup, and counts the local miss).
   */
  peek(key: string, encoding: BodyEncoding): CachedBody | undefined;
  /**
   * With Redis unusable, counts a lookup exactly as `get` would (an error and a miss) and
   * returns true, without a promise; with Redis usable counts nothing and returns false.
   */
  lookupWhileUnavailable(): boolean;
  /** Stores an entry with the TTL; false when it could not (counted and logged, never thrown). */
  set(key: string, entry: BodyEntry): Promise<boolean>;
  /** Connected and answering: lookups and writes go to Redis (mcp_resource_cache_up). */
  isReady(): boolean;
  state(): CacheState;
  /** Size of the in-process tier, `undefined` when it is off. */
  localTier(): { entries: number; bytes: number } | undefined;
  close(): Promise<void>;
}

export interface ResourceCacheOptions {
  url: string;
  ttlSeconds: number;
  /** No request waits longer than this on Redis; past it the lookup is a miss. */
  timeoutMs: number;
  /** How often a PING checks that Redis answers (within timeoutMs). */
  healthIntervalMs: number;
  /** Entries larger than this (all variants) are not stored in Redis. */
  maxEntryBytes: number;
  metrics: ServiceMetrics;
  logger: Logger;
  /** Optional fault injection (drills): extra latency before each Redis call. */
  delayMs?: () => number;
  /**
   * Byte budget of the in-process tier kept coherent by RESP3 client tracking; 0 turns it
   * off (and the client speaks RESP2 as before).
   */
  localMaxBytes?: number;
}

/** Upper bound on a cache write (nobody waits on it; see set). */
const SET_TIMEOUT_MS = 1_000;

/** Bounds the memo of verified signatures (one per key and encoding; keys are existing files). */
const MAX_VERIFIED_SIGNATURES = 10_000;

/** At most one "writes failing" warning per this many ms; each says how many it stands for. */
const WRITE_WARNING_INTERVAL_MS = 10_000;

/** What an entry takes in Redis: every variant's bytes. */
function storedBytes(entry: BodyEntry): number {
  return entry.identity.length + (entry.gzip?.length ?? 0) + (entry.br?.length ?? 0);
}

class CacheTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`redis ${operation} exceeded ${timeoutMs} ms`);
  }
}

export function createResourceCache(options: ResourceCacheOptions): ResourceCache {
  const { metrics, logger, timeoutMs } = options;
  const localMaxBytes = options.localMaxBytes ?? 0;
  const local =
    localMaxBytes > 0
      ? new LocalTier({
          maxBytes: localMaxBytes,
          // Redis tells us when an entry expires; this only bounds the damage of a lost message.
          maxAgeMs: options.ttlSeconds * 1_000,
          onDrop: (reason, count) => metrics.localDrops.inc({ reason }, count),
        })
      : undefined;
  const client = createCacheClient({
    url: options.url,
    tracking: local !== undefined,
    healthIntervalMs: options.healthIntervalMs,
  });

  let wasReady = false;
  let lastErrorLog = 0;
  let writesFailing = false;
  let lastTooLarge: { key: string; bytes: number } | undefined;
  const warnTooLarge = rateLimited(60_000, (suppressed) =>
    logger.warn(
      { ...lastTooLarge, maxEntryBytes: options.maxEntryBytes, skippedSinceLastWarning: suppressed + 1 },
      "cache entry too large for Redis (CACHE_MAX_ENTRY_BYTES): served from disk on every miss",
    ),
  );
  let lastWriteFailure: { key: string; error: unknown } | undefined;
  const warnWritesFailing = rateLimited(WRITE_WARNING_INTERVAL_MS, (suppressed) =>
    logger.warn(
      {
        err: String(lastWriteFailure?.error),
        key: lastWriteFailure?.key,
        failedSinceLastWarning: suppressed + 1,
      },
      "cache writes failing: entries are not being cached, misses keep reading from disk",
    ),
  );

  /** Extra latency before each Redis call, for the drills' slow-Redis fault. */
  function delayed<T>(run: () => Promise<T>): Promise<T> {
    const delay = options.delayMs?.() ?? 0;
    return delay > 0 ? new Promise((r) => setTimeout(r, delay)).then(run) : run();
  }

  const health = new RedisHealth({
    ping: () => delayed(() => client.ping()),
    isConnected: () => client.isReady,
    intervalMs: options.healthIntervalMs,
    timeoutMs,
    onProbe: (result) => metrics.cachePings.inc({ result }),
    // An unanswered PING may mean invalidations are not reaching us either (a stalled link
    // while other clients write): the in-process tier stops vouching for its entries at once.
    onFirstFailure: () => local?.disconnected("unresponsive"),
    onDown: (result, error) =>
      logger.warn(
        {
          redis: redactRedisUrl(options.url),
          timeoutMs,
          probes: FAILURES_TO_DOWN,
          result,
          ...(error ? { err: String(error) } : {}),
        },
        "cache not answering: PING got no reply in time; serving from disk without waiting on Redis",
      ),
    onUp: () => logger.info({ redis: redactRedisUrl(options.url) }, "cache answering again"),
  });
  const localHit = counterSeries(metrics.localLookups, { result: "hit" });
  const unavailableMiss = histogramSeries(metrics.cacheLatency, { cache_result: "miss" });
  /** Lookups and writes go to Redis only while it is connected and answering. */
  const available = () => client.isReady && health.answering;
  if (local) {
    client.on("invalidate", (key: Buffer | string | null) =>
      local.invalidate(key === null ? null : String(key)),
    );
    // Tracking lives and dies with the connection: whatever it vouched for is void.
    for (const event of ["error", "end", "reconnecting"]) client.on(event, () => local.disconnected());
  }
  client.on("ready", () => {
    wasReady = true;
    health.connected();
    if (local) {
      local.disconnected();
      // node-redis turned tracking on in its handshake; NOLOOP keeps our own fills from
      // invalidating what they just stored. Until this lands, offers are only refused more often.
      client.sendCommand(["CLIENT", "TRACKING", "ON", "NOLOOP"]).catch((error: unknown) => {
        logger.warn(
          { err: String(error) },
          "CLIENT TRACKING NOLOOP refused; the in-process tier fills only from reads",
        );
      });
    }
    logger.info({ redis: redactRedisUrl(options.url) }, "cache connected");
  });
  client.on("error", (error: Error) => {
    // Without a listener node-redis would throw; log at most once a second while down.
    const now = Date.now();
    if (now - lastErrorLog > 1_000) {
      lastErrorLog = now;
      logger.warn(
        { err: error.message, redis: redactRedisUrl(options.url) },
        "cache unavailable, serving from disk",
      );
    }
  });
  client.on("reconnecting", () => {
    if (wasReady) logger.debug("cache reconnecting");
  });
  client.connect().catch((error: unknown) => {
    logger.warn({ err: String(error) }, "cache connect failed; will keep retrying");
  });
  health.start();

  async function withTimeout<T>(operation: string, run: () => Promise<T>, limitMs = timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // At the deadline, one more turn of the event loop (setImmediate runs after the poll
      // phase): a reply that arrived while the loop was blocked (a large fill's JSON, a GC
      // pause) is used instead of being thrown away as a timeout it was not.
      timer = setTimeout(
        () => setImmediate(() => reject(new CacheTimeoutError(operation, limitMs))),
        limitMs,
      );
    });
    const work = delayed(run);
    // The losing promise still settles later; keep its rejection from going unhandled.
    work.catch(() => {});
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A local miss reads every variant once, so later requests in any encoding stay local; and
   * one read per key at a time: a burst of misses on a cold key (500 users at once) waits on
   * one HMGET instead of queueing hundreds, which on a saturated event loop would all time out.
   */
  const readsInFlight = new Map<string, Promise<BodyEntry | undefined>>();
  function readThrough(tier: LocalTier, key: string): Promise<BodyEntry | undefined> {
    const pending = readsInFlight.get(key);
    if (pending) return pending;
    const ticket = tier.ticket();
    const read = withTimeout("get", () => Promise.all([client.hmGet(key, [...ALL_FIELDS]), client.pTTL(key)]))
      .then(([reply, ttlMs]) => {
        const entry = accepted(key, verifyEntry(reply, ttlMs));
        if (entry) tier.offer(key, entry, ticket);
        return entry;
      })
      .finally(() => readsInFlight.delete(key));
    readsInFlight.set(key, read);
    return read;
  }

  const warnInvalid = rateLimited(1_000, (suppressed) =>
    logger.warn(
      { ...lastInvalid, refusedSinceLastWarning: suppressed + 1 },
      "cache entry failed verification: treated as a miss, the fill overwrites it",
    ),
  );
  let lastInvalid: { key: string; reason: InvalidEntryReason } | undefined;

  /** Without the in-process tier: the signature each key's variant had when its CRC was checked. */
  const verifiedSignatures = new Map<string, string>();

  /** A verified value, or undefined for an absent or refused one (counted and logged). */
  function accepted<T>(key: string, verified: Verified<T>): T | undefined {
    if (verified.found === "valid") return verified.value;
    if (verified.found === "invalid") {
      metrics.invalidEntries.inc({ reason: verified.reason });
      lastInvalid = { key, reason: verified.reason };
      warnInvalid();
      recordingSpan()?.setAttribute("cache.invalid", verified.reason);
    }
    return undefined;
  }

  function failedGet(key: string, error: unknown): void {
    metrics.cacheErrors.inc({ operation: "get" });
    logger.debug({ err: String(error), key }, "cache get failed");
    // On the caller's `resource.load` span: an exception event, not a failed load.
    const span = recordingSpan();
    span?.setAttribute("cache.error", error instanceof CacheTimeoutError ? "timeout" : "error");
    recordError(span, error, true);
  }

  return {
    isReady: available,
    state() {
      if (!client.isReady) return "disconnected";
      if (!health.answering) return "not_answering";
      return writesFailing ? "writes_failing" : "ok";
    },
    localTier: () => (local ? { entries: local.size, bytes: local.bytes } : undefined),

    peek(key, encoding) {
      if (!local || !available()) return undefined;
      const held = local.get(key);
      if (!held) return undefined;
      localHit();
      return variantOf(held, encoding);
    },

    lookupWhileUnavailable() {
      if (available()) return false;
      metrics.cacheErrors.inc({ operation: "get" });
      recordingSpan()?.setAttribute("cache.error", "unavailable");
      unavailableMiss(0);
      return true;
    },

    async get(key, encoding) {
      const usable = available();
      if (local && usable) {
        const held = local.get(key);
        metrics.localLookups.inc({ result: held ? "hit" : "miss" });
        if (held) {
          recordingSpan()?.setAttribute("cache.tier", "local");
          return variantOf(held, encoding);
        }
      }
      const started = performance.now();
      let found: CachedBody | undefined;
      if (local && usable) {
        try {
          const entry = await readThrough(local, key);
          if (entry) found = variantOf(entry, encoding);
        } catch (error) {
          failedGet(key, error);
        }
      } else if (usable) {
        try {
          const [reply, ttlMs] = await withTimeout("get", () =>
            Promise.all([client.hmGet(key, variantFields(encoding)), client.pTTL(key)]),
          );
          const memo = `${key} ${encoding}`;
          const variant = accepted(key, verifyVariant(reply, encoding, ttlMs, verifiedSignatures.get(memo)));
          if (variant) {
            if (verifiedSignatures.size >= MAX_VERIFIED_SIGNATURES) verifiedSignatures.clear();
            verifiedSignatures.set(memo, variant.signature);
            found = { etag: variant.etag, encoding: variant.encoding, bytes: variant.bytes };
          }
        } catch (error) {
          failedGet(key, error);
        }
      } else {
        metrics.cacheErrors.inc({ operation: "get" });
        recordingSpan()?.setAttribute("cache.error", "unavailable");
      }
      metrics.cacheLatency.observe(
        { cache_result: found ? "hit" : "miss" },
        (performance.now() - started) / 1000,
      );
      return found;
    },

    async set(key, entry) {
      if (!available()) {
        metrics.cacheErrors.inc({ operation: "set" });
        return false;
      }
      const bytes = storedBytes(entry);
      if (bytes > options.maxEntryBytes) {
        // Moving it through the one shared connection would hold up every key behind it, and
        // its read would outlive the lookup timeout anyway. Whatever an earlier, smaller
        // version of the file left at the key is stale: it goes.
        metrics.skippedWrites.inc({ reason: "too_large" });
        lastTooLarge = { key, bytes };
        warnTooLarge();
        withTimeout("set", () => client.del(key), Math.max(timeoutMs, SET_TIMEOUT_MS)).catch(
          (error: unknown) => {
            metrics.cacheErrors.inc({ operation: "set" });
            logger.debug({ err: String(error), key }, "cache delete of a too-large entry failed");
          },
        );
        return false;
      }
      const transaction = client
        .multi()
        .del(key)
        .hSet(key, entryFields(entry))
        .expire(key, options.ttlSeconds);
      // Reading the key inside the transaction makes Redis track it for this connection again
      // (any write ends tracking of a key), so the entry can go straight into the in-process
      // tier and the next writer's change still reaches us. With NOLOOP our own write sends
      // us no invalidation, so any that lands after `ticket` is another writer's.
      if (local) transaction.exists(key);
      const ticket = local?.ticket() ?? 0;
      try {
        // Nobody waits on a set: a longer bound than a lookup's, so that on a saturated event
        // loop a write Redis did apply is not counted (and retried) as failed.
        await withTimeout("set", () => transaction.exec(), Math.max(timeoutMs, SET_TIMEOUT_MS));
        writesFailing = false;
        local?.offer(key, entry, ticket);
        return true;
      } catch (error) {
        // Redis answers but does not take the write (OOM under maxmemory, READONLY, a timeout):
        // counted for the "cache writes failing" alert, and a warning at most every 10 s.
        metrics.cacheErrors.inc({ operation: "set" });
        writesFailing = true;
        lastWriteFailure = { key, error };
        warnWritesFailing();
        return false;
      }
    },

    async close() {
      health.stop();
      if (client.isOpen) {
        try {
          await client.close();
        } catch {
          client.destroy();
        }
      } else {
        client.destroy();
      }
    },
  };
}
