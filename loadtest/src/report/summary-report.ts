/**
 * Renders a run summary as a text table and CSV (html-report.ts: the HTML report). Pure string
 * building, no Node API, so k6's handleSummary uses the very same renderers as the
 * autocannon engine.
 */

import { RESOURCE_TYPES, type ResourceType } from "../../../lib/contract/resource-kinds.ts";
import type { Endpoint } from "../../../lib/workload/access-pattern.js";
import type { GroupStats, RunSummary, ThresholdResult } from "../workload/summary.js";

const TYPES: readonly ResourceType[] = RESOURCE_TYPES;
const ENDPOINT_LIST: readonly Endpoint[] = ["sdlc_core", "pattern", "template", "template_listing"];

interface Row {
  group: string;
  name: string;
  stats: GroupStats;
}

export function rows(summary: RunSummary): Row[] {
  const out: Row[] = [{ group: "overall", name: "all", stats: summary.overall }];
  for (const t of TYPES) out.push({ group: "resource_type", name: t, stats: summary.byResourceType[t] });
  for (const e of ENDPOINT_LIST) out.push({ group: "endpoint", name: e, stats: summary.byEndpoint[e] });
  const cache = summary.byCacheResult ?? {};
  for (const r of ["hit", "miss"] as const) {
    const s = cache[r];
    if (s) out.push({ group: "cache_result", name: r, stats: s });
  }
  return out;
}

export function fixed(n: number, digits = 2): string {
  return n.toFixed(digits);
}

function pad(text: string, width: number, right = false): string {
  if (text.length >= width) return text;
  const fill = " ".repeat(width - text.length);
  return right ? fill + text : text + fill;
}

export function verdict(t: ThresholdResult): string {
  return t.ok ? "PASS" : t.gating ? "FAIL" : "WARN";
}

export function actualText(t: ThresholdResult): string {
  if (t.actual === null) return "no data";
  if (t.stat === "failureRate") return `${fixed(t.actual * 100, 3)}%`;
  if (t.stat === "rps") return `${fixed(t.actual, 1)} req/s`;
  return `${fixed(t.actual)} ms`;
}

/** A fixed-width table like Locust's console summary, then the threshold verdicts. */
export function renderText(summary: RunSummary): string {
  const header = [
    "group",
    "name",
    "requests",
    "fail",
    "fail %",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
  ];
  const widths = [14, 17, 9, 6, 8, 9, 8, 8, 8, 9];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 8, i >= 2))
      .join(" ")
      .replace(/\s+$/, "");
  const out: string[] = [];
  out.push(
    `MCP resource load test: profile ${summary.profile} (${summary.config.users} users, spawn ${summary.config.spawnRate}/s, ` +
      `${summary.config.durationSeconds}s) via ${summary.engine} against ${summary.baseUrl}`,
  );
  out.push(
    `test id ${summary.testId}, started ${summary.startedAt}, ran ${fixed(summary.durationSeconds, 1)}s`,
  );
  out.push("");
  out.push(line(header));
  out.push(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows(summary)) {
    const s = r.stats;
    out.push(
      line([
        r.group,
        r.name,
        String(s.requests),
        String(s.failures),
        fixed(s.failureRate * 100, 3),
        fixed(s.rps, 1),
        fixed(s.p50),
        fixed(s.p95),
        fixed(s.p99),
        fixed(s.max),
      ]),
    );
  }
  const reasons = Object.keys(summary.failureReasons);
  if (reasons.length > 0) {
    out.push("");
    out.push("failures:");
    for (const reason of reasons)
      out.push(`  ${pad(String(summary.failureReasons[reason]), 8, true)}  ${reason}`);
  }
  out.push("");
  out.push("thresholds:");
  for (const t of summary.thresholds) {
    out.push(
      `  ${verdict(t)}  ${pad(t.scope, 9)} ${pad(t.description, 28)} actual ${actualText(t)}${
        t.source === "override" ? "  (override)" : ""
      }`,
    );
  }
  out.push("");
  const failed = summary.thresholds.filter((t) => !t.ok && t.gating).length;
  const warned = summary.thresholds.filter((t) => !t.ok && !t.gating).length;
  out.push(
    summary.passed
      ? `RESULT: PASS - every gating threshold met${warned > 0 ? ` (${warned} non-gating breached: WARN)` : ""}`
      : `RESULT: FAIL - ${failed} threshold${failed === 1 ? "" : "s"} breached`,
  );
  return `${out.join("\n")}\n`;
}

export const CSV_HEADER = [
  "group",
  "name",
  "requests",
  "failures",
  "failure_rate",
  "rps",
  "min_ms",
  "mean_ms",
  "p50_ms",
  "p90_ms",
  "p95_ms",
  "p99_ms",
  "max_ms",
];

/** One row per group (overall, each resource_type, each endpoint, each cache result). */
export function renderCsv(summary: RunSummary): string {
  const lines = [CSV_HEADER.join(",")];
  for (const r of rows(summary)) {
    const s = r.stats;
    lines.push(
      [
        r.group,
        r.name,
        s.requests,
        s.failures,
        s.failureRate,
        s.rps,
        s.min,
        s.mean,
        s.p50,
        s.p90,
        s.p95,
        s.p99,
        s.max,
      ]
        .map(String)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Per-second history (autocannon only), like Locust's `_stats_history.csv`. */
export function renderHistoryCsv(summary: RunSummary): string {
  const lines = ["second,requests,failures,p50_ms,p95_ms,p99_ms"];
  for (const p of summary.timeline ?? []) {
    lines.push([p.second, p.requests, p.failures, p.p50, p.p95, p.p99].join(","));
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------
