import type { ProbeResult } from "./metric-labels.js";

/** Consecutive unanswered probes before Redis counts as not answering (one is a blip). */
export const FAILURES_TO_DOWN = 2;

export interface RedisHealthOptions {
  /** Sends one PING on the cache's own connection (so it queues behind whatever is stuck there). */
  ping: () => Promise<unknown>;
  /** False while the connection itself is down: nothing to probe, the client reports that. */
  isConnected: () => boolean;
  intervalMs: number;
  /** The cache timeout: a PING slower than a request may wait is not an answer. */
  timeoutMs: number;
  onProbe?: (result: ProbeResult) => void;
  /** The first unanswered probe: whatever relied on the connection delivering in time is suspect. */
  onFirstFailure?: () => void;
  onDown?: (result: ProbeResult, error: unknown) => void;
  onUp?: () => void;
}

/**
 * Resolves with how `work` settled within `ms`. On a timeout it waits one more turn of the
 * event loop (setImmediate runs after the poll phase) before giving up, so that a reply that
 * had already arrived while the loop was busy counts as an answer: an overloaded process must
 * not mistake its own lag for a frozen Redis.
 */
export function settledWithin(
  work: Promise<unknown>,
  ms: number,
): Promise<{ result: ProbeResult; error?: unknown }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => setImmediate(() => resolve({ result: "timeout" })), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve({ result: "ok" });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ result: "error", error });
      },
    );
  });
}

/**
 * Whether Redis answers, as opposed to whether its socket is open: a Redis stopped with
 * SIGSTOP, busy in a long command (DEBUG SLEEP, a big KEYS) or behind a stalled network keeps
 * the connection "ready" while every command waits. A PING every `intervalMs`, bounded by the
 * cache timeout, decides; FAILURES_TO_DOWN in a row mark it down, the next answer up again.
 */
export class RedisHealth {
  readonly #options: RedisHealthOptions;
  #answering = true;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: RedisHealthOptions) {
    this.#options = options;
  }

  /** True until FAILURES_TO_DOWN probes in a row went unanswered. */
  get answering(): boolean {
    return this.#answering;
  }

  /** A new connection finished its handshake: it has just answered. */
  connected(): void {
    this.#failures = 0;
    if (!this.#answering) {
      this.#answering = true;
      this.#options.onUp?.();
    }
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => void this.#probe().finally(() => this.#schedule()),
      this.#options.intervalMs,
    );
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    if (!this.#options.isConnected()) return;
    const { result, error } = await settledWithin(this.#options.ping(), this.#options.timeoutMs);
    if (this.#stopped) return;
    this.#options.onProbe?.(result);
    if (result === "ok") {
      this.connected();
      return;
    }
    this.#failures += 1;
    if (this.#failures === 1) this.#options.onFirstFailure?.();
    if (this.#failures === FAILURES_TO_DOWN && this.#answering) {
      this.#answering = false;
      this.#options.onDown?.(result, error);
    }
  }
}
