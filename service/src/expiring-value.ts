/** A value rebuilt at most once per `ttlMs`; concurrent callers share one build. */
export interface ExpiringValue<T> {
  get(): Promise<T>;
}

export interface ExpiringValueOptions {
  /** How long a build is fresh, counted from when it is ready. */
  ttlMs: number;
  /**
   * After the TTL, how long the last build is still handed out while one rebuild runs
   * (stale-while-revalidate). Past TTL + this, callers wait for the rebuild.
   */
  staleMs: number;
  /** A rebuild that failed while the last build was being handed out (the next caller retries). */
  onRefreshError?: (error: unknown) => void;
  now?: () => number;
}

/**
 * Memoises an async build, with the semantics of `max-age=ttl, stale-while-revalidate=stale`.
 * The first callers wait for one shared build (single-flight); a failed build is not kept, so
 * the next caller tries again. Once the value is past its TTL, the first caller starts one
 * rebuild and everyone gets the last value at once until it is ready: a rebuild that reads
 * the disk must not hold up the requests that arrive meanwhile. A value older than TTL +
 * stale window is not handed out; callers wait for the rebuild, as the first ones did.
 */
export function expiringValue<T>(build: () => Promise<T>, options: ExpiringValueOptions): ExpiringValue<T> {
  const { ttlMs, staleMs, onRefreshError } = options;
  const now = options.now ?? Date.now;
  let ready: { value: Promise<T>; at: number } | undefined;
  let building: Promise<T> | undefined;

  function rebuild(): Promise<T> {
    building ??= build().then(
      (value) => {
        ready = { value: Promise.resolve(value), at: now() };
        building = undefined;
        return value;
      },
      (error: unknown) => {
        building = undefined;
        throw error;
      },
    );
    return building;
  }

  return {
    get() {
      if (ready) {
        const age = now() - ready.at;
        if (age < ttlMs) return ready.value;
        if (age < ttlMs + staleMs) {
          rebuild().catch((error: unknown) => onRefreshError?.(error));
          return ready.value;
        }
      }
      return rebuild();
    },
  };
}
