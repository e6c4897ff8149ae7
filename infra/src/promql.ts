/** Small PromQL builders for the shapes that repeat; one-off queries are written out in full. */

/** `{a="b", c=~"d"}` from matcher strings; empty matchers give an empty string. */
export function matchers(...parts: (string | undefined)[]): string {
  const present = parts.filter((p): p is string => Boolean(p));
  return present.length ? `{${present.join(", ")}}` : "";
}

export function eq(label: string, value: string): string {
  return `${label}=${JSON.stringify(value)}`;
}

export function re(label: string, value: string): string {
  return `${label}=~${JSON.stringify(value)}`;
}

/** `sum by (a, b) (inner)`, or `sum(inner)` without labels. */
export function sumBy(by: readonly string[], inner: string): string {
  return by.length ? `sum by (${by.join(", ")}) (${inner})` : `sum(${inner})`;
}

export function rate(metric: string, selector: string, window: string): string {
  return `rate(${metric}${selector}[${window}])`;
}

/** histogram_quantile over a classic histogram, aggregated to `by` (le is added). */
export function histogramQuantile(
  quantile: number,
  histogram: string,
  selector: string,
  by: readonly string[],
  window: string,
): string {
  return `histogram_quantile(${quantile}, ${sumBy([...by, "le"], rate(`${histogram}_bucket`, selector, window))})`;
}

/** Recording rule name per Prometheus conventions: `level:metric:operations`. */
export function recordName(by: readonly string[], metric: string, operations: string): string {
  return `${by.join("_")}:${metric}:${operations}`;
}

/** Turns a human threshold into PromQL text without float noise (0.1, not 0.1000000001). */
export function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}
