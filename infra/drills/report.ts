/** A drill's result as a console timeline and as a short Markdown report. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { markdownTable } from "../../lib/markdown-table.js";
import type { DrillResult } from "./runner.js";

/** Seconds relative to the inject step, signed: "-8.0s", "+12.3s". */
export function relative(at: number, injectedAt: number): string {
  const s = (at - injectedAt) / 1000;
  return `${s < 0 ? "-" : "+"}${Math.abs(s).toFixed(1)}s`;
}

export interface AlertMilestones {
  readonly alert: string;
  readonly pending?: number;
  readonly firing?: number;
  readonly delivered?: number;
  readonly suppressed?: number;
  readonly resolved?: number;
}

/** When each alert of interest went pending, firing, delivered, suppressed, resolved (epoch ms). */
export function milestones(result: DrillResult, alerts: readonly string[]): AlertMilestones[] {
  return alerts.map((alert) => {
    const first = (source: string, text: string) =>
      result.events.find(
        (e) =>
          e.alert === alert && e.source === source && e.text.startsWith(text) && e.at >= result.injectedAt,
      )?.at;
    return {
      alert,
      pending: first("prometheus", "pending"),
      firing: first("prometheus", "firing"),
      delivered: first("webhook", "firing"),
      suppressed: first("alertmanager", "suppressed"),
      resolved: first("webhook", "resolved"),
    };
  });
}

export function timelineText(result: DrillResult): string {
  const rows = result.events.map(
    (e) =>
      `  ${relative(e.at, result.injectedAt).padStart(8)}  ${e.source.padEnd(12)} ${(e.alert ?? "").padEnd(34)} ${e.text}`,
  );
  return [`  ${"time".padStart(8)}  ${"where".padEnd(12)} ${"alert".padEnd(34)} event`, ...rows].join("\n");
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

function expectationLines(result: DrillResult): string[] {
  const { expect, inhibited = [], allowed = [] } = result.expectations;
  return [
    `- Must fire and resolve at the webhook: ${expect.length ? expect.join(", ") : "none (no alert may fire)"}`,
    ...inhibited.map((i) => `- Must fire in Prometheus and be inhibited by ${i.by}: ${i.alert}`),
    // One line per reason: several alerts often share one (the latency family).
    ...[...new Set(allowed.map((a) => a.why))].map(
      (why) =>
        `- May fire: ${allowed
          .filter((a) => a.why === why)
          .map((a) => a.alert)
          .join(", ")} (${why})`,
    ),
    "- Any other alert delivered fails the drill.",
  ];
}

export function renderMarkdown(result: DrillResult): string {
  const at = (t: number | undefined) => (t === undefined ? "–" : relative(t, result.injectedAt));
  const interesting = [...new Set(result.events.flatMap((e) => (e.alert ? [e.alert] : [])))];
  const lines = [
    `# Drill \`${result.name}\`: ${result.passed ? "passed" : "FAILED"}`,
    "",
    result.summary,
    "",
    `- Target: ${result.target}`,
    `- Started: ${new Date(result.baselineAt).toISOString()}; took ${(result.durationMs / 1000).toFixed(1)} s`,
    `- Fault injected at ${new Date(result.injectedAt).toISOString()} (t = 0), removed at ${at(result.restoredAt || undefined)}`,
    "",
    "## Alerts",
    "",
    ...expectationLines(result),
    "",
    markdownTable(
      ["alert", "pending", "firing", "delivered", "suppressed (inhibited)", "resolved"],
      milestones(result, interesting).map((m) => [
        m.alert,
        at(m.pending),
        at(m.firing),
        at(m.delivered),
        at(m.suppressed),
        at(m.resolved),
      ]),
    ),
    "",
    "## Checks",
    "",
    markdownTable(
      ["check", "result", "detail"],
      result.checks.map((c) => [cell(c.name), c.ok ? "passed" : "FAILED", cell(c.detail)]),
    ),
  ];
  if (result.sections.length)
    lines.push("", "## Measurements", "", ...result.sections.flatMap((s) => [s, ""]));
  if (result.failures.length) lines.push("", "## Failures", "", ...result.failures.map((f) => `- ${f}`));
  if (result.notes.length) lines.push("", "## Notes", "", ...result.notes.map((n) => `- ${n}`));
  lines.push(
    "",
    "## Timeline",
    "",
    markdownTable(
      ["t", "where", "alert", "event"],
      result.events.map((e) => [relative(e.at, result.injectedAt), e.source, e.alert ?? "", cell(e.text)]),
    ),
  );
  return `${lines.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
}

export function renderSummary(results: readonly DrillResult[], startedAt: Date): string {
  const lines = [
    `# Runbook drills, ${startedAt.toISOString()}`,
    "",
    `${results.filter((r) => r.passed).length} of ${results.length} passed.`,
    "",
  ];
  const rows = results.map((r) => {
    const firstFiring = r.deliveries.find((d) => d.status === "firing" && d.at >= r.injectedAt);
    const lastResolved = r.deliveries.filter((d) => d.status === "resolved" && d.at >= r.restoredAt).at(-1);
    return [
      `[${r.name}](${reportFileName(r, startedAt)})`,
      r.passed ? "passed" : "FAILED",
      `${(r.durationMs / 1000).toFixed(1)} s`,
      firstFiring ? `${relative(firstFiring.at, r.injectedAt)} (${firstFiring.alert})` : "–",
      lastResolved && r.restoredAt ? relative(lastResolved.at, r.restoredAt) : "–",
    ];
  });
  lines.push(
    markdownTable(
      ["drill", "result", "took", "inject → firing delivered", "restore → resolved delivered"],
      rows,
    ),
  );
  const failed = results.filter((r) => !r.passed);
  if (failed.length) {
    lines.push("", "## Failures", "");
    for (const r of failed) lines.push(...r.failures.map((f) => `- ${r.name}: ${f}`));
  }
  return `${lines.join("\n")}\n`;
}

const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, "-").replace(/Z$/, "");

export function reportFileName(result: Pick<DrillResult, "name">, startedAt: Date): string {
  return `${result.name}-${stamp(startedAt)}.md`;
}

/** Writes one report per drill and a summary; returns the summary's path. */
export async function writeReports(
  dir: string,
  results: readonly DrillResult[],
  startedAt: Date,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const r of results) await writeFile(path.join(dir, reportFileName(r, startedAt)), renderMarkdown(r));
  const summary = path.join(dir, `summary-${stamp(startedAt)}.md`);
  await writeFile(summary, renderSummary(results, startedAt));
  return summary;
}
