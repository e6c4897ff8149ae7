/**
 * The summary as a self-contained HTML report: verdict, stats, thresholds, failures and
 * latency charts (inline SVG, no script). k6 loads it (handleSummary writes report.html).
 */
import { RESOURCE_TYPES, type ResourceType } from "../../../lib/contract/resource-kinds.ts";
import type { GroupStats, RunSummary } from "../workload/summary.js";
import { actualText, CSV_HEADER, fixed, rows, verdict } from "./summary-report.ts";

const TYPES: readonly ResourceType[] = RESOURCE_TYPES;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

const COLORS: Record<string, string> = {
  overall: "#333333",
  sdlc: "#1f77b4",
  patterns: "#ff7f0e",
  templates: "#2ca02c",
  p50: "#9ecae1",
  p95: "#3182bd",
  p99: "#08519c",
  rps: "#2ca02c",
  failures: "#d62728",
};

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (value <= m * exp) return m * exp;
  return 10 * exp;
}

interface Axes {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const AXES: Axes = { width: 720, height: 280, left: 60, right: 20, top: 20, bottom: 40 };

function yAxis(max: number, label: string, a: Axes = AXES): string {
  const plotH = a.height - a.top - a.bottom;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = a.top + plotH - (plotH * i) / 4;
    parts.push(
      `<line x1="${a.left}" x2="${a.width - a.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${a.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${esc(String(Number(v.toPrecision(3))))}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${a.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${a.top + plotH / 2})" text-anchor="middle">${esc(label)}</text>`,
  );
  return parts.join("");
}

function svg(content: string, title: string, a: Axes = AXES): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${a.width}" height="${a.height}" viewBox="0 0 ${a.width} ${a.height}" role="img" aria-label="${esc(title)}" font-family="sans-serif">${content}</svg>`;
}

/** Grouped bars: p50/p95/p99 per resource type and overall, with the p95/p99 targets as ticks. */
function percentileBars(summary: RunSummary): string {
  const groups: Array<{ name: string; stats: GroupStats; targets: Record<string, number> }> = [];
  const targetsFor = (scope: string) => {
    const t: Record<string, number> = {};
    for (const th of summary.thresholds)
      if (th.scope === scope && th.stat.startsWith("p")) t[th.stat] = th.limit;
    return t;
  };
  groups.push({ name: "overall", stats: summary.overall, targets: targetsFor("overall") });
  for (const t of TYPES) groups.push({ name: t, stats: summary.byResourceType[t], targets: targetsFor(t) });
  let max = 0;
  for (const g of groups) {
    max = Math.max(max, g.stats.p99, g.stats.p95, g.stats.p50);
    for (const k of Object.keys(g.targets)) max = Math.max(max, g.targets[k] ?? 0);
  }
  max = niceMax(max);
  const a = AXES;
  const plotW = a.width - a.left - a.right;
  const plotH = a.height - a.top - a.bottom;
  const groupW = plotW / groups.length;
  const barW = Math.min(36, (groupW - 20) / 3);
  const parts = [yAxis(max, "latency (ms)")];
  groups.forEach((g, gi) => {
    const x0 = a.left + gi * groupW + (groupW - barW * 3) / 2;
    (["p50", "p95", "p99"] as const).forEach((stat, si) => {
      const v = g.stats[stat];
      const h = (plotH * v) / max;
      const x = x0 + si * barW;
      parts.push(
        `<rect x="${x}" y="${a.top + plotH - h}" width="${barW - 2}" height="${h}" fill="${COLORS[stat]}"><title>${esc(
          `${g.name} ${stat}: ${v.toFixed(2)} ms`,
        )}</title></rect>`,
      );
      const target = g.targets[stat];
      if (target !== undefined) {
        const ty = a.top + plotH - (plotH * target) / max;
        parts.push(
          `<line x1="${x - 2}" x2="${x + barW}" y1="${ty}" y2="${ty}" stroke="${COLORS.failures}" stroke-width="2" stroke-dasharray="4 2"><title>${esc(
            `${g.name} ${stat} target < ${target} ms`,
          )}</title></line>`,
        );
      }
    });
    parts.push(
      `<text x="${a.left + gi * groupW + groupW / 2}" y="${a.height - a.bottom + 16}" text-anchor="middle" font-size="12">${esc(g.name)}</text>`,
    );
  });
  parts.push(
    `<text x="${a.width - a.right}" y="${a.top - 6}" text-anchor="end" font-size="11">bars: p50 / p95 / p99 &#160; dashed red: target</text>`,
  );
  return svg(parts.join(""), "latency percentiles per resource type");
}

/** Percentile curves (x: percentile on a "nines" scale, y: ms) per resource type. */
function distributionChart(summary: RunSummary): string {
  const dist = summary.distribution;
  if (!dist) return "";
  const names = (["overall", ...TYPES] as const).filter((n) => (dist[n]?.length ?? 0) > 1);
  if (names.length === 0) return "";
  // x = -log10(1 - p/100): 0 at p0, 1 at p90, 2 at p99, 3 at p99.9; p100 drawn at 3.3.
  const xOf = (p: number) => (p >= 100 ? 3.3 : Math.min(3.3, -Math.log10(1 - p / 100)));
  let max = 0;
  for (const n of names) for (const pt of dist[n] ?? []) if (pt.percentile < 100) max = Math.max(max, pt.ms);
  max = niceMax(max);
  const a = AXES;
  const plotW = a.width - a.left - a.right;
  const plotH = a.height - a.top - a.bottom;
  const px = (p: number) => a.left + (plotW * xOf(p)) / 3.3;
  const py = (ms: number) => a.top + plotH - (plotH * Math.min(ms, max)) / max;
  const parts = [yAxis(max, "latency (ms)")];
  for (const [p, label] of [
    [0, "p0"],
    [50, "p50"],
    [90, "p90"],
    [99, "p99"],
    [99.9, "p99.9"],
  ] as const) {
    parts.push(
      `<line x1="${px(p)}" x2="${px(p)}" y1="${a.top}" y2="${a.top + plotH}" stroke="#eee"/>`,
      `<text x="${px(p)}" y="${a.height - a.bottom + 16}" text-anchor="middle" font-size="11">${label}</text>`,
    );
  }
  names.forEach((n, i) => {
    const pts = (dist[n] ?? []).filter((pt) => pt.percentile < 100);
    parts.push(
      `<polyline fill="none" stroke="${COLORS[n]}" stroke-width="2" points="${pts
        .map((pt) => `${px(pt.percentile).toFixed(1)},${py(pt.ms).toFixed(1)}`)
        .join(" ")}"><title>${esc(n)}</title></polyline>`,
      `<text x="${a.left + 10 + i * 110}" y="${a.top - 6}" font-size="12" fill="${COLORS[n]}">&#9632; ${esc(n)}</text>`,
    );
  });
  return svg(parts.join(""), "latency percentile distribution");
}

/** Per-second throughput (and failures), and per-second p50/p95/p99. */
function timelineCharts(summary: RunSummary): string {
  const tl = summary.timeline ?? [];
  if (tl.length < 2) return "";
  const a = AXES;
  const plotW = a.width - a.left - a.right;
  const plotH = a.height - a.top - a.bottom;
  const lastSecond = tl[tl.length - 1]?.second ?? 1;
  const px = (s: number) => a.left + (plotW * s) / Math.max(1, lastSecond);
  const xTicks = () => {
    const out: string[] = [];
    const seen = new Set<number>();
    for (let i = 0; i <= 5; i++) {
      const s = Math.round((lastSecond * i) / 5);
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(
        `<text x="${px(s)}" y="${a.height - a.bottom + 16}" text-anchor="middle" font-size="11">${s}s</text>`,
      );
    }
    return out.join("");
  };
  const chart = (
    series: Array<{ key: "requests" | "failures" | "p50" | "p95" | "p99"; color: string }>,
    label: string,
  ) => {
    let max = 0;
    for (const p of tl) for (const s of series) max = Math.max(max, p[s.key]);
    max = niceMax(max);
    const py = (v: number) => a.top + plotH - (plotH * v) / max;
    const parts = [yAxis(max, label), xTicks()];
    series.forEach((s, i) => {
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${tl
          .map((p) => `${px(p.second).toFixed(1)},${py(p[s.key]).toFixed(1)}`)
          .join(" ")}"/>`,
        `<text x="${a.left + 10 + i * 100}" y="${a.top - 6}" font-size="12" fill="${s.color}">&#9632; ${s.key}</text>`,
      );
    });
    return svg(parts.join(""), label);
  };
  return (
    chart(
      [
        { key: "requests", color: COLORS.rps as string },
        { key: "failures", color: COLORS.failures as string },
      ],
      "responses per second",
    ) +
    chart(
      [
        { key: "p50", color: COLORS.p50 as string },
        { key: "p95", color: COLORS.p95 as string },
        { key: "p99", color: COLORS.p99 as string },
      ],
      "latency per second (ms)",
    )
  );
}

function statsTable(summary: RunSummary): string {
  const head = CSV_HEADER.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows(summary)
    .map((r) => {
      const s = r.stats;
      const cells = [
        r.group,
        r.name,
        String(s.requests),
        String(s.failures),
        `${fixed(s.failureRate * 100, 3)}%`,
        fixed(s.rps, 1),
        fixed(s.min),
        fixed(s.mean),
        fixed(s.p50),
        fixed(s.p90),
        fixed(s.p95),
        fixed(s.p99),
        fixed(s.max),
      ];
      return `<tr>${cells.map((c, i) => `<td${i >= 2 ? ' class="n"' : ""}>${esc(c)}</td>`).join("")}</tr>`;
    })
    .join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function thresholdTable(summary: RunSummary): string {
  const body = summary.thresholds
    .map(
      (t) =>
        `<tr class="${t.ok ? "ok" : t.gating ? "bad" : "warn"}"><td>${verdict(t)}</td><td>${esc(t.scope)}</td><td>${esc(
          t.description,
        )}</td><td class="n">${esc(actualText(t))}</td><td>${esc(t.source)}${t.gating ? "" : " (not gating)"}</td></tr>`,
    )
    .join("");
  return `<table><thead><tr><th>result</th><th>scope</th><th>threshold</th><th>actual</th><th>source</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** A self-contained HTML report: verdict, stats, thresholds, failures and latency charts. */
export function renderHtml(summary: RunSummary): string {
  const reasons = Object.keys(summary.failureReasons);
  const failures =
    reasons.length === 0
      ? "<p>No failed requests.</p>"
      : `<table><thead><tr><th>count</th><th>reason</th></tr></thead><tbody>${reasons
          .map((r) => `<tr><td class="n">${summary.failureReasons[r]}</td><td>${esc(r)}</td></tr>`)
          .join("")}</tbody></table>`;
  const title = `Load test ${summary.profile} - ${summary.passed ? "PASS" : "FAIL"}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px} h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3} tr.bad td{background:#fde2e2} tr.ok td:first-child{color:#1a7f37;font-weight:bold}
tr.bad td:first-child{color:#b42318;font-weight:bold} tr.warn td{background:#fff4d6}
tr.warn td:first-child{color:#9a6700;font-weight:bold}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:bold}
.pass{background:#1a7f37}.fail{background:#b42318} svg{display:block;margin:8px 0;border:1px solid #eee}
</style></head><body>
<h1>MCP resource load test <span class="verdict ${summary.passed ? "pass" : "fail"}">${
    summary.passed ? "PASS" : "FAIL"
  }</span></h1>
<table>
<tr><th>profile</th><td>${esc(summary.profile)} (${summary.config.users} users, spawn ${summary.config.spawnRate}/s, ${summary.config.durationSeconds}s)</td></tr>
<tr><th>engine</th><td>${esc(summary.engine)}</td></tr>
<tr><th>target</th><td>${esc(summary.baseUrl)}</td></tr>
<tr><th>test id</th><td>${esc(summary.testId)}</td></tr>
<tr><th>started</th><td>${esc(summary.startedAt)} (ran ${fixed(summary.durationSeconds, 1)}s)</td></tr>
<tr><th>requests</th><td>${summary.overall.requests} (${fixed(summary.overall.rps, 1)} req/s, ${summary.overall.failures} failed)</td></tr>
</table>
<h2>Thresholds</h2>${thresholdTable(summary)}
<h2>Latency percentiles per resource type</h2>${percentileBars(summary)}
${summary.distribution ? `<h2>Latency distribution</h2>${distributionChart(summary)}` : ""}
${(summary.timeline?.length ?? 0) > 1 ? `<h2>Over time</h2>${timelineCharts(summary)}` : ""}
<h2>Statistics</h2>${statsTable(summary)}
<h2>Failures</h2>${failures}
</body></html>
`;
}
