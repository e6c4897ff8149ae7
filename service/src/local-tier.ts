import type { LocalDropReason } from "./metric-labels.js";
import type { BodyEntry } from "./resource-body.js";

export interface LocalTierOptions {
  /** Upper bound on the body bytes held (all encodings of all entries). */
  maxBytes: number;
  /** An entry is never served later than this after it was read from Redis. */
  maxAgeMs: number;
  onDrop?: (reason: LocalDropReason, count: number) => void;
  now?: () => number;
}

interface Held {
  readonly entry: BodyEntry;
  readonly bytes: number;
  readonly expiresAt: number;
  /** When it was last served, as a sequence number: the least recent goes first at capacity. */
  used: number;
}

/** Bounds the per-key invalidation log; past it every in-flight read is treated as tainted. */
const MAX_INVALIDATION_LOG = 10_000;

function entryBytes(entry: BodyEntry): number {
  return entry.identity.length + (entry.gzip?.length ?? 0) + (entry.br?.length ?? 0) + entry.etag.length;
}

/**
 * The in-process tier in front of Redis: copies of Redis entries that Redis promised to tell
 * us about (RESP3 client tracking) before they change. It never holds anything Redis does
 * not hold, so a hit here is a Redis hit that skipped the round trip.
 *
 * The one race tracking leaves open is inside this process: an invalidation for a key can
 * be delivered after a read of it was sent but before its reply is handled (same socket
 * chunk). So a read takes a ticket before it goes out, and `offer` refuses the reply when
 * the key (or everything) was invalidated since that ticket.
 */
export class LocalTier {
  readonly #entries = new Map<string, Held>();
  readonly #invalidatedAt = new Map<string, number>();
  readonly #options: LocalTierOptions;
  readonly #now: () => number;
  #bytes = 0;
  #sequence = 0;
  #flushedAt = 0;
  #uses = 0;

  constructor(options: LocalTierOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): BodyEntry | undefined {
    const held = this.#entries.get(key);
    if (!held) return undefined;
    if (held.expiresAt <= this.#now()) {
      this.#remove(key, held, "age");
      return undefined;
    }
    // Recency is a counter on the entry, not a move to the Map's end: a delete and set per hit
    // made V8 rebuild the Map's table every few dozen hits, and those tables (owned by a
    // long-lived Map) were the largest share of what the service promoted to the old
    // generation (17% of the sampled promoted bytes at 100 connections), feeding mark-compacts.
    held.used = ++this.#uses;
    return held.entry;
  }

  /** Taken before a Redis read whose reply may be offered. */
  ticket(): number {
    return this.#sequence;
  }

  /** Keeps a reply read under `ticket` unless the key was invalidated since. */
  offer(key: string, entry: BodyEntry, ticket: number): boolean {
    if (this.#flushedAt > ticket || (this.#invalidatedAt.get(key) ?? 0) > ticket) return false;
    const bytes = entryBytes(entry);
    if (bytes > this.#options.maxBytes) return false;
    const previous = this.#entries.get(key);
    if (previous) this.#remove(key, previous);
    let evicted = 0;
    if (this.#bytes + bytes > this.#options.maxBytes) {
      // Rare (only with the budget full): least recently used first.
      const byRecency = [...this.#entries].sort((x, y) => x[1].used - y[1].used);
      for (const [oldestKey, oldest] of byRecency) {
        if (this.#bytes + bytes <= this.#options.maxBytes) break;
        this.#remove(oldestKey, oldest);
        evicted += 1;
      }
    }
    if (evicted > 0) this.#options.onDrop?.("capacity", evicted);
    this.#entries.set(key, {
      entry,
      bytes,
      expiresAt: this.#now() + this.#options.maxAgeMs,
      used: ++this.#uses,
    });
    this.#bytes += bytes;
    return true;
  }

  /** Redis said `key` changed (or, with `null`, that everything may have). */
  invalidate(key: string | null): void {
    this.#sequence += 1;
    if (key === null) {
      this.#flushedAt = this.#sequence;
      this.#dropAll("flushed");
      return;
    }
    if (this.#invalidatedAt.size >= MAX_INVALIDATION_LOG) {
      this.#invalidatedAt.clear();
      this.#flushedAt = this.#sequence;
    }
    this.#invalidatedAt.set(key, this.#sequence);
    const held = this.#entries.get(key);
    if (held) this.#remove(key, held, "invalidated");
  }

  /**
   * Nothing here is vouched for any more: the connection (and with it the server's tracking
   * table) is gone, or Redis stopped answering, so invalidations may not be reaching us.
   */
  disconnected(reason: Extract<LocalDropReason, "disconnected" | "unresponsive"> = "disconnected"): void {
    this.#sequence += 1;
    this.#flushedAt = this.#sequence;
    this.#invalidatedAt.clear();
    this.#dropAll(reason);
  }

  #dropAll(reason: LocalDropReason): void {
    const count = this.#entries.size;
    this.#entries.clear();
    this.#bytes = 0;
    if (count > 0) this.#options.onDrop?.(reason, count);
  }

  #remove(key: string, held: Held, reason?: LocalDropReason): void {
    this.#entries.delete(key);
    this.#bytes -= held.bytes;
    if (reason) this.#options.onDrop?.(reason, 1);
  }
}
