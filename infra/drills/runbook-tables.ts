/**
 * The runbook's "Expected Results" tables, read from docs/runbook.md itself so the cold-start
 * drill measures against what the runbook says today, not against a copy of it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ResourceType } from "../../lib/contract/resource-kinds.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { RUNBOOK_PATH } from "../src/runbook.js";

export type TableRow = ResourceType | "combined";

export interface LatencyTargets {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

const ROWS: Record<string, TableRow> = {
  "sdlc core": "sdlc",
  patterns: "patterns",
  templates: "templates",
  combined: "combined",
};

/** Parses the table under `heading`: rows by resource type, "<30ms" cells as 30. */
export function parseLatencyTable(markdown: string, heading: string): Record<TableRow, LatencyTargets> {
  const start = markdown.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`${RUNBOOK_PATH} has no section "### ${heading}"`);
  const lines = markdown.slice(start).split("\n").slice(1);
  const first = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith("|"));
  const table = first < 0 ? [] : lines.slice(first, end < 0 ? undefined : end);
  const cells = (line: string) =>
    line
      .split("|")
      .slice(1, -1)
      .map((c) => c.replace(/\*/g, "").trim());
  const header = cells(table[0] ?? "").map((h) => h.toLowerCase());
  const column = (name: string) => {
    const i = header.findIndex((h) => h.startsWith(name));
    if (i < 0) throw new Error(`"${heading}" table has no ${name} column`);
    return i;
  };
  const cols = { p50: column("p50"), p95: column("p95"), p99: column("p99") };
  const out: Partial<Record<TableRow, LatencyTargets>> = {};
  for (const line of table.slice(2)) {
    const row = cells(line);
    const key = ROWS[(row[0] ?? "").toLowerCase()];
    if (!key) continue;
    const value = (i: number) => {
      const m = /<\s*([\d.]+)\s*ms/.exec(row[i] ?? "");
      if (!m) throw new Error(`"${heading}": cannot read "${row[i]}" in row ${row[0]}`);
      return Number(m[1]);
    };
    out[key] = { p50: value(cols.p50), p95: value(cols.p95), p99: value(cols.p99) };
  }
  for (const key of Object.values(ROWS)) {
    if (!out[key]) throw new Error(`"${heading}" table has no row for ${key}`);
  }
  return out as Record<TableRow, LatencyTargets>;
}

export async function coldStartTargets(): Promise<Record<TableRow, LatencyTargets>> {
  const markdown = await readFile(path.join(REPO_ROOT, RUNBOOK_PATH), "utf8");
  return parseLatencyTable(markdown, "Expected Results (Cache Cold Start)");
}
