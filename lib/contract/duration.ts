/**
 * Prometheus duration strings ("30s", "5m", "1h30m"), the unit every rule window and `for`
 * is written in. Parsed to milliseconds so that a time-scaled copy of the rules (drills) can
 * be derived by arithmetic instead of string editing.
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;

const PART = /(\d+)(ms|d|h|m|s)/g;
const WHOLE = /^(?:\d+(?:ms|d|h|m|s))+$/;

export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) throw new Error(`not a Prometheus duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const [, count, unit] of text.matchAll(PART)) total += Number(count) * UNIT_MS[unit as Unit];
  return total;
}

/** The shortest Prometheus spelling of a whole number of milliseconds, largest unit first. */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`duration must be a whole number of ms: ${ms}`);
  if (ms === 0) return "0s";
  let rest = ms;
  let text = "";
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
  }
  return text;
}

/** Multiplies a duration, rounding to whole milliseconds (Prometheus' resolution). */
export function scaleDuration(text: string, factor: number): string {
  return formatDuration(Math.round(parseDuration(text) * factor));
}

/**
 * A duration a person typed on a command line (`--duration 90s`): Prometheus' units, a
 * fraction allowed ("1.5s"), and a bare number meaning seconds ("90"). In milliseconds, like
 * parseDuration; callers that think in seconds divide.
 */
export function parseCliDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1_000;
  let total = 0;
  let consumed = "";
  for (const [whole, count, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|d|h|m|s)/g)) {
    total += Number(count) * UNIT_MS[unit as Unit];
    consumed += whole;
  }
  if (consumed === "" || consumed !== trimmed || !(total > 0)) {
    throw new Error(`invalid duration "${text}" (examples: 30s, 1m, 1m30s, 90)`);
  }
  return total;
}
