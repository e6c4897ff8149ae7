import type { Counter, Histogram, LabelValues } from "prom-client";

/**
 * One label set of a prom-client metric, resolved once, for the per-request hot path.
 *
 * prom-client (15.x) validates and hashes the label object of every `observe`/`inc` and
 * converts the bucket bound to a string key: two observations and two counters per request
 * were ~3% of the CPU of a cache hit in `perf:profile`. A series keeps a reference to the
 * record prom-client holds for its labels and updates it the way prom-client does. The first
 * call, and any call after the record was replaced (reset, remove, zero), goes through
 * prom-client's own method and looks the record up again, so prom-client stays the only
 * place series are created and the exposition is unchanged (metrics tests compare it).
 */

interface CounterRecord {
  value: number;
  labels: Record<string, string | number>;
}

interface HistogramRecord {
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
  labels: Record<string, string | number>;
}

interface Internals<R> {
  hashMap?: Record<string, R>;
  upperBounds?: number[];
}

function sameLabels(a: Record<string, string | number>, b: Record<string, string | number>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => String(a[k]) === String(b[k]));
}

/** Finds prom-client's record (and its key) for `labels`, or undefined if its layout is unknown. */
function lookup<R extends { labels: Record<string, string | number> }>(
  internals: Internals<R>,
  labels: Record<string, string | number>,
): { key: string; record: R } | undefined {
  if (!internals.hashMap) return undefined;
  for (const [key, record] of Object.entries(internals.hashMap)) {
    if (record?.labels && sameLabels(record.labels, labels)) return { key, record };
  }
  return undefined;
}

/** `inc(1)` of one label set of `counter`. */
export function counterSeries<T extends string>(counter: Counter<T>, labels: LabelValues<T>): () => void {
  const internals = counter as unknown as Internals<CounterRecord>;
  let found: { key: string; record: CounterRecord } | undefined;
  return () => {
    if (found && internals.hashMap?.[found.key] === found.record && typeof found.record.value === "number") {
      found.record.value += 1;
      return;
    }
    counter.inc(labels);
    found = lookup(internals, labels as Record<string, string | number>);
  };
}

/**
 * `observe(value)` of one label set of `histogram`; `slow` is how prom-client observes it
 * (the exemplar-enabled histograms take an object).
 */
export function histogramSeries<T extends string>(
  histogram: Histogram<T>,
  labels: LabelValues<T>,
  slow: (value: number) => void = (value) => histogram.observe(labels, value),
): (value: number) => void {
  const internals = histogram as unknown as Internals<HistogramRecord>;
  const bounds = internals.upperBounds ?? [];
  // The property names prom-client's bucket records use (String(bound), as a key lookup does).
  const keys = bounds.map(String);
  let found: { key: string; record: HistogramRecord } | undefined;
  return (value) => {
    const record = found?.record;
    if (!record || internals.hashMap?.[found?.key ?? ""] !== record || !Number.isFinite(value)) {
      slow(value);
      found = lookup(internals, labels as Record<string, string | number>);
      return;
    }
    record.sum += value;
    record.count += 1;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        const bucket = keys[i] as string;
        if (bucket in record.bucketValues)
          record.bucketValues[bucket] = (record.bucketValues[bucket] ?? 0) + 1;
        return;
      }
    }
  };
}

/** Series made on first use, by a key the caller builds from the label values. */
export class SeriesCache<F> {
  readonly #series = new Map<string, F>();

  constructor(
    private readonly make: (key: string) => F,
    private readonly max = 1_000,
  ) {}

  get(key: string): F {
    let series = this.#series.get(key);
    if (series === undefined) {
      // Label values come from bounded sets (routes, statuses, kinds); the bound only guards
      // against a bug turning one into a per-request value.
      if (this.#series.size >= this.max) this.#series.clear();
      series = this.make(key);
      this.#series.set(key, series);
    }
    return series;
  }
}
