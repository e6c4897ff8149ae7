/**
 * The runbook mix as a fixed, seeded sequence of REST GETs for the external load generators
 * (wrk's Lua script, vegeta's targets): the same choices pickRequest makes for autocannon and
 * k6 (lib/workload/plan.ts), drawn once up front so a generator written in C or Go replays the
 * workload definition without a copy of its weights.
 */
import { pickRequest, seededRandom } from "../../../lib/workload/plan.js";

/**
 * The headers every generated request carries (the workload's, as autocannon sends them).
 * The encoding is named: Go's HTTP client (vegeta) asks for gzip when a request names none,
 * and wrk does not, so without it the open-model runs would get compressed bodies and the
 * closed-loop runs (and the baselines' captured bytes) plain ones.
 */
export const MIX_HEADERS: Readonly<Record<string, string>> = {
  Accept: "application/json",
  "Accept-Encoding": "identity",
  "User-Agent": "mcp-loadtest",
};

/**
 * Long enough that every weight shows (the rarest URL, an incident-review template, is
 * ~0.14% of requests: ~3 of 2,000), short enough to inline in a script.
 */
export const MIX_LENGTH = 2_000;

/** `count` request paths (path + query) drawn by the runbook's weights from `seed`. */
export function mixPaths(count = MIX_LENGTH, seed = 42): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => pickRequest(random).path);
}
