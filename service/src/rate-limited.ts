/**
 * Wraps `emit` so that it runs at most once per `intervalMs`; each run learns how many calls
 * were suppressed since the previous one. For warnings about conditions that can repeat on
 * every request (a full Redis, a full server): the first is logged at once, then one line a
 * period says how many more there were.
 */
export function rateLimited(
  intervalMs: number,
  emit: (suppressed: number) => void,
  now: () => number = Date.now,
): () => void {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return () => {
    const at = now();
    if (at - last < intervalMs) {
      suppressed += 1;
      return;
    }
    last = at;
    const count = suppressed;
    suppressed = 0;
    emit(count);
  };
}
