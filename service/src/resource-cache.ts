import type { Logger } from "pino";
import { createClient, RESP_TYPES } from "redis";
import type { ServiceMetrics } from "./metrics.js";
import { recordError, recordingSpan } from "./telemetry/tracing.js";

/**
 * What one cache entry holds: the finished response body and everything a response needs
 * besides it, so that a hit does no serialization, hashing or compression. Stored as a Redis
 * hash at the contract's key; a hit fetches only the fields the response will use (HMGET).
 */
export interface CachedBody {
  readonly etag: string;
  /** The encoding actually returned (`identity` when the entry has no such variant). */
  readonly encoding: BodyEncoding;
  readonly bytes: Buffer;
}

export type BodyEncoding = "identity" | "gzip" | "br";

export interface BodyEntry {
  readonly etag: string;
  readonly identity: Buffer;
  readonly gzip?: Buffer;
  readonly br?: Buffer;
}

export interface ResourceCache {
  /** Returns the wanted variant on a hit, `undefined` on a miss, an error or a timeout. */
  get(key: string, encoding: BodyEncoding): Promise<CachedBody | undefined>;
  /** Stores an entry with the TTL; failures are counted and logged, never thrown. */
  set(key: string, entry: BodyEntry): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}

export interface ResourceCacheOptions {
  url: string;
  ttlSeconds: number;
  /** No request waits longer than this on Redis; past it the lookup is a miss. */
  timeoutMs: number;
  metrics: ServiceMetrics;
  logger: Logger;
  /** Optional fault injection (drills): extra latency before each cache call. */
  delayMs?: () => number;
}

class CacheTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`redis ${operation} exceeded ${timeoutMs} ms`);
  }
}

/** Exponential backoff with jitter, capped: a dead Redis is probed, not hammered. */
export function reconnectDelayMs(retries: number): number {
  const base = Math.min(50 * 2 ** Math.min(retries, 10), 2_000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export function createResourceCache(options: ResourceCacheOptions): ResourceCache {
  const { metrics, logger, timeoutMs } = options;
  const client = createClient({
    url: options.url,
    // Fail fast while disconnected instead of queueing commands without bound.
    disableOfflineQueue: true,
    // Bound the queue of a connected but stalled Redis too.
    commandsQueueMaxLength: 10_000,
    socket: {
      connectTimeout: 1_000,
      reconnectStrategy: (retries) => reconnectDelayMs(retries),
    },
  }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });

  let wasReady = false;
  let lastErrorLog = 0;
  client.on("ready", () => {
    wasReady = true;
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

  async function withTimeout<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const delay = options.delayMs?.() ?? 0;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CacheTimeoutError(operation, timeoutMs)), timeoutMs);
    });
    const work = delay > 0 ? new Promise((r) => setTimeout(r, delay)).then(run) : run();
    // The losing promise still settles later; keep its rejection from going unhandled.
    work.catch(() => {});
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    isReady: () => client.isReady,

    async get(key, encoding) {
      const started = performance.now();
      let found: CachedBody | undefined;
      if (client.isReady) {
        try {
          const field = encoding === "identity" ? "body" : encoding;
          const [etag, variant, identity] = await withTimeout("get", () =>
            encoding === "identity"
              ? client.hmGet(key, ["etag", "body"])
              : client.hmGet(key, ["etag", field, "body"]),
          );
          if (Buffer.isBuffer(etag) && Buffer.isBuffer(variant)) {
            found = { etag: etag.toString(), encoding, bytes: variant };
          } else if (Buffer.isBuffer(etag) && Buffer.isBuffer(identity)) {
            // Small bodies are stored without compressed variants.
            found = { etag: etag.toString(), encoding: "identity", bytes: identity };
          }
        } catch (error) {
          metrics.cacheErrors.inc({ operation: "get" });
          logger.debug({ err: String(error), key }, "cache get failed");
          // On the caller's `resource.load` span: an exception event, not a failed load.
          const span = recordingSpan();
          span?.setAttribute("cache.error", error instanceof CacheTimeoutError ? "timeout" : "error");
          recordError(span, error, true);
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
      if (!client.isReady) {
        metrics.cacheErrors.inc({ operation: "set" });
        return;
      }
      const fields: Record<string, Buffer | string> = { etag: entry.etag, body: entry.identity };
      if (entry.gzip) fields.gzip = entry.gzip;
      if (entry.br) fields.br = entry.br;
      try {
        await withTimeout("set", () =>
          client.multi().del(key).hSet(key, fields).expire(key, options.ttlSeconds).exec(),
        );
      } catch (error) {
        metrics.cacheErrors.inc({ operation: "set" });
        logger.debug({ err: String(error), key }, "cache set failed");
      }
    },

    async close() {
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

/** Never log a password embedded in REDIS_URL. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}
