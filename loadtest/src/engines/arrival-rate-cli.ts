/**
 * One constant-arrival-rate run in a process of its own, for perf:compare: a fresh heap and
 * event loop, so the closed-loop generator that ran before (autocannon, in the parent) leaves
 * no garbage collection or timers behind to show up in this run's p99.
 *
 *   tsx loadtest/src/engines/arrival-rate-cli.ts --base-url URL --rate N --seconds S
 *       [--warmup-seconds W] [--max-in-flight N] [--seed N]
 *
 * Prints `recording` when the first recorded request falls due, then the result as one JSON line.
 */
import { parseArgs } from "node:util";
import { pickRequest, seededRandom } from "../../../lib/workload/plan.js";
import { constantArrivalRate } from "./arrival-rate.js";

/** The headers the workload's requests carry (as autocannon sends them). */
export const ARRIVAL_RATE_HEADERS = { accept: "application/json", "user-agent": "mcp-loadtest-arrival-rate" };

const { values } = parseArgs({
  options: {
    "base-url": { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string" },
    "warmup-seconds": { type: "string", default: "0" },
    "max-in-flight": { type: "string", default: "100" },
    seed: { type: "string", default: "7" },
  },
});
const number = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a number >= 0, got ${values[name]}`);
  return value;
};
if (!values["base-url"]) throw new Error("--base-url is required");
const random = seededRandom(number("seed"));
const result = await constantArrivalRate({
  baseUrl: values["base-url"],
  rate: number("rate"),
  seconds: number("seconds"),
  warmupSeconds: number("warmup-seconds"),
  maxInFlight: number("max-in-flight"),
  headers: ARRIVAL_RATE_HEADERS,
  nextPath: () => pickRequest(random).path,
  onRecordingStart: () => process.stdout.write("recording\n"),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
