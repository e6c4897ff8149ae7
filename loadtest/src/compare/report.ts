/**
 * perf:compare's result, its markdown report and a parser for that report's tables (the
 * test reads the figures back from the file a user would read, not from memory).
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
  autocannon: string;
  loadAverage: number[];
}

export interface CompareResult {
  date: string;
  durationSeconds: number;
  rate: number;
  connections: number;
  urls: number;
  machine: Machine;
  closed: Record<Target, RunFigures>;
  fixed: Record<Target, RunFigures>;
  /** (a) at the fixed rate right after FLUSHALL. */
  cold: RunFigures;
  /** (a) under the stress profile's users, with its resident memory around the run. */
  stress: StressFigures;
  degraded: RunFigures;
  notes: string[];
}

export interface StressFigures extends RunFigures {
  users: number;
  memoryBefore: { rssMiB: number; peakMiB: number } | undefined;
  memoryAfter: { rssMiB: number; peakMiB: number } | undefined;
}

export function ratio(a: number, b: number): number {
  return b > 0 ? round(a / b, 3) : 0;
}

const loadCell = (f: RunFigures) => `${f.load.before} → ${f.load.after}`;
const pct = (v: number) => `${round(v * 100, 3)}%`;
const mib = (v: number | undefined) => (v === undefined ? "n/a" : `${v} MiB`);

const HEADER = [
  "Target",
  "req/s",
  "p50 ms",
  "p95 ms",
  "p99 ms",
  "requests",
  "failures",
  "load avg (1 m) before → after",
];
/** Numbers right-aligned; label and load average left. */
const RIGHT = [false, true, true, true, true, true, true, false];

function cells(label: string, f: RunFigures): string[] {
  const n = (v: number) => String(v);
  return [
    label,
    n(f.rps),
    n(f.p50),
    n(f.p95),
    n(f.p99),
    n(f.requests),
    `${f.failures} (${pct(f.failureRate)})`,
    loadCell(f),
  ];
}

/** The comparison table, numbers right-aligned. */
function table(rows: string[][]): string[] {
  return markdownTable(HEADER, rows, { rightAligned: RIGHT }).split("\n");
}

export function renderReport(r: CompareResult): string {
  const m = r.machine;
  const lines = [
    `# perf:compare ${r.date}`,
    "",
    `Same workload (runbook mix, ${r.connections} connections, warm cache, ${r.urls} URLs) against`,
    "the service and two from-memory baselines, one after another, each server in its own",
    "child process; the load generators (autocannon closed loop, an undici open-model driver at a",
    "fixed arrival rate) run in the parent process on the same machine.",
    "",
    "## Machine",
    "",
    `- CPU: ${m.cpu} × ${m.cpus}, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- Node ${m.node}, redis-server ${m.redis}, autocannon ${m.autocannon}`,
    `- Load average (1/5/15 m) at start: ${m.loadAverage.join(" / ")}`,
    "",
    `## Closed loop (${r.durationSeconds} s each)`,
    "",
    ...table(TARGETS.map((t) => cells(TARGET_LABELS[t], r.closed[t]))),
    "",
    `- a/b throughput: ${ratio(r.closed.a.rps, r.closed.b.rps)}`,
    `- a/c throughput: ${ratio(r.closed.a.rps, r.closed.c.rps)}`,
    `- b/c throughput: ${ratio(r.closed.b.rps, r.closed.c.rps)}`,
    "",
    `## Fixed arrival rate (${r.rate} req/s, ${r.durationSeconds} s each)`,
    "",
    ...table(TARGETS.map((t) => cells(TARGET_LABELS[t], r.fixed[t]))),
    "",
    `## Cold cache (a at ${r.rate} req/s, FLUSHALL just before, ${r.durationSeconds} s)`,
    "",
    ...table([cells("a: cold cache", r.cold)]),
    "",
    `## Stress (a, ${r.stress.users} connections, closed loop, ${r.durationSeconds} s)`,
    "",
    ...table([cells(`a: ${r.stress.users} connections`, r.stress)]),
    "",
    `- service RSS before: ${mib(r.stress.memoryBefore?.rssMiB)}; after: ${mib(r.stress.memoryAfter?.rssMiB)}; ` +
      `peak over the process's life (VmHWM): ${mib(r.stress.memoryAfter?.peakMiB)}`,
    "",
    "## Degraded mode (a with Redis stopped, closed loop)",
    "",
    ...table([cells("a: service, Redis stopped", r.degraded)]),
    "",
    `- degraded/normal throughput: ${ratio(r.degraded.rps, r.closed.a.rps)}`,
    `- degraded error rate: ${pct(r.degraded.failureRate)}`,
    "",
    "## Notes",
    "",
    ...r.notes.map((n) => `- ${n}`),
    "",
  ];
  return lines.join("\n");
}

export interface ParsedRow {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  failures: number;
}

/** Reads the figure rows (by label) and the ratio lines back from a rendered report. */
export function parseReport(markdown: string): {
  rows: Array<{ section: string; label: string } & ParsedRow>;
  ratios: Record<string, number>;
} {
  const rows: Array<{ section: string; label: string } & ParsedRow> = [];
  const ratios: Record<string, number> = {};
  let section = "";
  for (const line of markdown.split("\n")) {
    if (line.startsWith("## ")) section = line.slice(3);
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length >= 9 && /^\d/.test(cells[2] ?? "")) {
      rows.push({
        section,
        label: cells[1] ?? "",
        rps: Number(cells[2]),
        p50: Number(cells[3]),
        p95: Number(cells[4]),
        p99: Number(cells[5]),
        failures: Number.parseInt(cells[7] ?? "", 10),
      });
    }
    const m = /^- ([a-z/]+) throughput: ([\d.]+)$/.exec(line);
    if (m) ratios[m[1] as string] = Number(m[2]);
  }
  return { rows, ratios };
}
