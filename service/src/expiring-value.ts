/** A value rebuilt at most once per `ttlMs`; concurrent callers share one build. */
export interface ExpiringValue<T> {
  get(): Promise<T>;
}

/**
 * Memoises an async build for `ttlMs`, counted from when the build is ready. While a build
 * runs, every caller gets the same promise (single-flight); a failed build is not kept, so
 * the next caller tries again.
 */
export function expiringValue<T>(build: () => Promise<T>, ttlMs: number): ExpiringValue<T> {
  let cached: { value: Promise<T>; expiresAt: number } | undefined;
  return {
    get() {
      if (cached && Date.now() < cached.expiresAt) return cached.value;
      const entry = { value: build(), expiresAt: Number.POSITIVE_INFINITY };
      cached = entry;
      entry.value.then(
        () => {
          entry.expiresAt = Date.now() + ttlMs;
        },
        () => {
          if (cached === entry) cached = undefined;
        },
      );
      return entry.value;
    },
  };
}
