/** Rounds to `digits` decimals, for figures in summaries and reports. k6 loads it. */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
