/**
 * The cache's Redis client: how it connects, reconnects and fails while Redis is away or behind
 * a proxy that fails over. One connection carries commands and, with `tracking`, the server's
 * invalidation pushes for the in-process tier.
 */
import { createClient, RESP_TYPES } from "redis";

/**
 * The longest the Redis socket may stay silent (nothing sent, nothing received) before it is
 * dropped and a new connection made. While connected the health PINGs keep it busy every
 * `healthIntervalMs`, so only a connection that stopped carrying anything ends: above all one
 * whose handshake is never answered. A proxy (HAProxy in front of the Sentinel master) accepts a
 * reconnect at once and may then hold it open without an upstream (a killed container's
 * address answers no SYN, and the proxy's client timeout is an hour); node-redis bounds the TCP
 * connect but not the handshake, so without this the client waited there for good.
 */
export function socketIdleTimeoutMs(healthIntervalMs: number): number {
  return Math.max(5_000, 3 * healthIntervalMs);
}

/** Exponential backoff with jitter, capped: a dead Redis is probed, not hammered. */
export function reconnectDelayMs(retries: number): number {
  const base = Math.min(50 * 2 ** Math.min(retries, 10), 2_000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export interface CacheClientOptions {
  readonly url: string;
  /** RESP3 with invalidation pushes, for the in-process tier. */
  readonly tracking: boolean;
  /** The health check's PING interval; the idle-socket bound is derived from it. */
  readonly healthIntervalMs: number;
}

export function createCacheClient(options: CacheClientOptions) {
  return createClient({
    url: options.url,
    // RESP3 carries the server's invalidation pushes on this same connection, which orders
    // them after the replies they invalidate; CLIENT TRACKING ON is re-sent on every reconnect.
    ...(options.tracking ? { RESP: 3 as const, emitInvalidate: true } : {}),
    // Redis Enterprise's maintenance notifications, which this cache never uses, make the
    // handshake resolve the host name first: a connection closed during that lookup (HAProxy
    // closes at once while no node is master) had the handshake written to the dead socket
    // after its queue was flushed, and the reconnect loop waited on those replies for good.
    maintNotifications: "disabled",
    // Fail fast while disconnected instead of queueing commands without bound.
    disableOfflineQueue: true,
    // Bound the queue of a connected but stalled Redis too.
    commandsQueueMaxLength: 10_000,
    socket: {
      connectTimeout: 1_000,
      // A silent socket is closed and, as the strategy retries every cause, reconnected.
      socketTimeout: socketIdleTimeoutMs(options.healthIntervalMs),
      reconnectStrategy: (retries) => reconnectDelayMs(retries),
    },
  }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

/** Never log a password embedded in REDIS_URL. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}
