/**
 * perf:compare's result and its markdown report: per run and summarised over the runs
 * (median and range), the ratios and the goals of docs/benchmarks/performance.md.
 */

import { markdownTable } from "../../../lib/markdown-table.js";
import { round } from "../workload/numbers.js";
import type { RunFigures } from "./runs.js";

export const TARGETS = ["a", "b", "c"] as const;
export type Target = (typeof TARGETS)[number];

export const TARGET_LABELS: Record<Target, string> = {
  a: "a: service + Redis (as shipped)",
  b: "b: minimal Express 5, bytes from memory",
  c: "c: bare node:http, bytes from memory",
};

export interface Machine {
  cpu: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  wrk: string;
  vegeta: string;
  loadAverage: number[];
}

export interface Memory {
  rssMiB: number;
  peakMiB: number;
}

/** One target within one run: closed loop by connections, open model by rate. */
export interface TargetRun {
  closed: Record<string, RunFigures>;
  open: Record<string, RunFigures>;
  /** The server's memory after this run's phases. */
  memory: Memory | undefined;
}

export interface CompareRun {
  /** The order the targets were measured in (rotated from run to run). */
  order: Target[];
  targets: Record<Target, TargetRun>;
}

export interface StressFigures extends RunFigures {
  users: number;
  memoryBefore: Memory | undefined;
  memoryAfter: Memory | undefined;
}

export interface CompareResult {
  date: string;
  durationSeconds: number;
  connections: number[];
  rates: number[];
  urls: number;
  machine: Machine;
  /** Where server and generator ran (cpu-split.ts). */
  cpuSplit: string;
  runs: CompareRun[];
  /** (a) in the open model at the first rate right after FLUSHALL. */
  cold: RunFigures;
  /** (a) under the stress profile's users, closed loop, with its memory around the run. */
  stress: StressFigures;
  /** (a) with Redis stopped, closed loop at the largest connection count. */
  degraded: RunFigures;
  notes: string[];
}

export function ratio(a: number, b: number): number {
  return b > 0 ? round(a / b, 3) : 0;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median: round(median, 3), min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** "median (min–max)", or just the value for one run. */
export function showSpread(s: Spread, digits = 1): string {
  const f = (v: number) => String(round(v, digits));
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

const over = (r: CompareResult, pick: (run: CompareRun) => number) => spread(r.runs.map(pick));

const closedOf = (run: CompareRun, t: Target, c: number) => run.targets[t].closed[String(c)] as RunFigures;
const openOf = (run: CompareRun, t: Target, rate: number) => run.targets[t].open[String(rate)] as RunFigures;

export interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

/** The issue's goals, judged on this result. */
export function goals(r: CompareResult): Goal[] {
  const out: Goal[] = [];
  for (const c of r.connections) {
    const ab = over(r, (run) => ratio(closedOf(run, "a", c).rps, closedOf(run, "b", c).rps));
    out.push({
      goal: `service/Express req/s ≥ 0.85 at ${c} connections (median of runs)`,
      measured: showSpread(ab, 3),
      met: ab.median >= 0.85,
    });
  }
  const top = Math.max(...r.connections);
  const tail = over(r, (run) => ratio(closedOf(run, "a", top).p99, closedOf(run, "b", top).p99));
  out.push({
    goal: `p99 at ${top} connections ≤ 2 × Express's p99 in the same run (median of runs)`,
    measured: `${showSpread(tail, 2)} ×`,
    met: tail.median <= 2,
  });
  const [first] = r.rates;
  if (first !== undefined) {
    const p99s = r.runs.map((run) => openOf(run, "a", first).p99);
    const under = p99s.filter((v) => v < 10).length;
    out.push({
      goal: `p99 < 10 ms at ${first} req/s open model in every run`,
      measured: `${under} of ${p99s.length} (${p99s.join(", ")} ms)`,
      met: under === p99s.length,
    });
  }
  const normal = over(r, (run) => closedOf(run, "a", top).rps).median;
  const dn = ratio(r.degraded.rps, normal);
  out.push({
    goal: "Redis down: ≥ 0.9 of normal req/s, 0 errors",
    measured: `${dn}, ${r.degraded.failures} errors`,
    met: dn >= 0.9 && r.degraded.failures === 0,
  });
  const peak = r.stress.memoryAfter?.peakMiB;
  out.push({
    goal: `RSS < 200 MB at ${r.stress.users} connections (peak, VmHWM)`,
    measured:
      peak === undefined ? "not measured (no /proc)" : `${peak} MiB (${round(peak * 1.048576, 1)} MB)`,
    met: peak !== undefined && peak * 1.048576 < 200,
  });
  return out;
}

const CPU_COLUMNS = ["server CPU µs/req", "server CPU share", "others on its CPU"];
const CLOSED_HEADER = ["Target", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "failures", ...CPU_COLUMNS];
const OPEN_HEADER = [
  "Target",
  "achieved req/s",
  "p50 ms",
  "p95 ms",
  "p99 ms",
  "max ms",
  "failures",
  ...CPU_COLUMNS,
];
const RIGHT = [false, true, true, true, true, true, true, true, true, true];

function figureRow(label: string, figures: RunFigures[], open: boolean): string[] {
  const s = (pick: (f: RunFigures) => number, digits = 2) => showSpread(spread(figures.map(pick)), digits);
  return [
    label,
    open ? s((f) => f.achieved ?? 0, 1) : s((f) => f.rps, 0),
    s((f) => f.p50),
    s((f) => f.p95),
    s((f) => f.p99),
    s((f) => f.max),
    String(figures.reduce((t, f) => t + f.failures, 0)),
    figures.every((f) => f.cpu) ? s((f) => f.cpu?.perRequestUs ?? 0, 1) : "n/a",
    figures.every((f) => f.cpu) ? s((f) => f.cpu?.share ?? 0, 2) : "n/a",
    figures.every((f) => f.cpu?.others !== undefined) ? s((f) => f.cpu?.others ?? 0, 2) : "n/a",
  ];
}

/** The service's event-loop delay (monitorEventLoopDelay via its /metrics) per run. */
function loopDelayLine(figures: RunFigures[]): string {
  const cells = figures.map((f) => (f.loopDelay ? `${f.loopDelay.p99} / ${f.loopDelay.max}` : "n/a"));
  // prom-client samples with a 10 ms timer; the delay it reports includes those 10 ms.
  return `- a event-loop delay per run (prom-client's monitorEventLoopDelay, 10 ms sampling included), p99 / max ms: ${cells.join(", ")}`;
}

const single = (label: string, f: RunFigures, open: boolean) => figureRow(label, [f], open);

export function renderReport(r: CompareResult): string {
  const m = r.machine;
  const n = r.runs.length;
  const lines = [
    `# perf:compare ${r.date}`,
    "",
    `The runbook mix (${r.urls} URLs, warm cache) against the service and two from-memory baselines,`,
    `${n} run(s) back to back, the three targets one after another within each run (order rotated`,
    "per run). Closed loop with wrk, open model with vegeta; figures are the median over the runs",
    "with the range (min–max) in brackets, failures the total.",
    "",
    "## Machine",
    "",
    `- CPU: ${m.cpu} × ${m.cpus}, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- CPU split: ${r.cpuSplit}`,
    `- Node ${m.node}, redis-server ${m.redis}, ${m.wrk}, vegeta ${m.vegeta}`,
    `- Load average (1/5/15 m) at start: ${m.loadAverage.join(" / ")}`,
    "",
    "## Goals",
    "",
    markdownTable(
      ["goal", "measured", "verdict"],
      goals(r).map((g) => [g.goal, g.measured, g.met ? "met" : "**missed**"]),
    ),
    "",
  ];
  for (const c of r.connections) {
    lines.push(
      `## Closed loop, ${c} connections (wrk, ${r.durationSeconds} s each)`,
      "",
      markdownTable(
        CLOSED_HEADER,
        TARGETS.map((t) =>
          figureRow(
            TARGET_LABELS[t],
            r.runs.map((run) => closedOf(run, t, c)),
            false,
          ),
        ),
        { rightAligned: RIGHT },
      ),
      "",
      `- a/b throughput: ${showSpread(
        over(r, (run) => ratio(closedOf(run, "a", c).rps, closedOf(run, "b", c).rps)),
        3,
      )}`,
      `- a/c throughput: ${showSpread(
        over(r, (run) => ratio(closedOf(run, "a", c).rps, closedOf(run, "c", c).rps)),
        3,
      )}`,
      `- b/c throughput: ${showSpread(
        over(r, (run) => ratio(closedOf(run, "b", c).rps, closedOf(run, "c", c).rps)),
        3,
      )}`,
      `- a p99 / b p99: ${showSpread(
        over(r, (run) => ratio(closedOf(run, "a", c).p99, closedOf(run, "b", c).p99)),
        2,
      )}`,
      "",
    );
  }
  for (const rate of r.rates) {
    lines.push(
      `## Open model, ${rate} req/s (vegeta, ${r.durationSeconds} s each)`,
      "",
      markdownTable(
        OPEN_HEADER,
        TARGETS.map((t) =>
          figureRow(
            TARGET_LABELS[t],
            r.runs.map((run) => openOf(run, t, rate)),
            true,
          ),
        ),
        { rightAligned: RIGHT },
      ),
      "",
      ...TARGETS.map(
        (t) => `- ${t} p99 per run: ${r.runs.map((run) => `${openOf(run, t, rate).p99} ms`).join(", ")}`,
      ),
      loopDelayLine(r.runs.map((run) => openOf(run, "a", rate))),
      "",
    );
  }
  lines.push(
    "## Memory of each server after each run (VmRSS; peak VmHWM)",
    "",
    markdownTable(
      ["Target", ...r.runs.map((_, i) => `run ${i + 1}`)],
      TARGETS.map((t) => [
        TARGET_LABELS[t],
        ...r.runs.map((run) => {
          const mem = run.targets[t].memory;
          return mem ? `${mem.rssMiB} MiB (peak ${mem.peakMiB})` : "n/a";
        }),
      ]),
    ),
    "",
    `## Cold cache (a, open model at ${r.cold.rps} req/s, FLUSHALL just before)`,
    "",
    markdownTable(OPEN_HEADER, [single("a: cold cache", r.cold, true)], { rightAligned: RIGHT }),
    "",
    `## Stress (a, ${r.stress.users} connections, closed loop, ${r.durationSeconds} s)`,
    "",
    markdownTable(CLOSED_HEADER, [single(`a: ${r.stress.users} connections`, r.stress, false)], {
      rightAligned: RIGHT,
    }),
    "",
    `- service RSS before: ${r.stress.memoryBefore?.rssMiB ?? "n/a"} MiB; after: ${r.stress.memoryAfter?.rssMiB ?? "n/a"} MiB; ` +
      `peak over the process's life (VmHWM): ${r.stress.memoryAfter?.peakMiB ?? "n/a"} MiB`,
    "",
    `## Degraded mode (a with Redis stopped, closed loop, ${Math.max(...r.connections)} connections)`,
    "",
    markdownTable(CLOSED_HEADER, [single("a: service, Redis stopped", r.degraded, false)], {
      rightAligned: RIGHT,
    }),
    "",
    "## Notes",
    "",
    ...r.notes.map((note) => `- ${note}`),
    "",
  );
  return lines.join("\n");
}
