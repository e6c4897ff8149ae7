import { markdownTable } from "../../../lib/markdown-table.js";
import type { RuleSet } from "../rules/index.js";
import { githubSlug } from "../runbook.js";

/**
 * The parts of docs/runbook.md that restate the rules (the PromQL reference and the alert
 * index). They are generated between markers so prose and rules cannot drift apart; the
 * rest of the runbook is written by hand.
 */
export const REGION_MARKERS = {
  promql: ["<!-- generated:promql:start -->", "<!-- generated:promql:end -->"],
  alerts: ["<!-- generated:alerts:start -->", "<!-- generated:alerts:end -->"],
} as const;

export type Region = keyof typeof REGION_MARKERS;

function promqlReference(rules: RuleSet): string {
  const blocks = rules.recording.map((group) => {
    const body = group.rules
      .map((r) => {
        const labels = r.labels
          ? `{${Object.entries(r.labels)
              .map(([k, v]) => `${k}="${v}"`)
              .join(", ")}}`
          : "";
        return `# ${r.record}${labels}\n#   ${r.help}\n${r.expr}`;
      })
      .join("\n\n");
    return `Group \`${group.name}\`:\n\n\`\`\`promql\n${body}\n\`\`\``;
  });
  return blocks.join("\n\n");
}

function alertIndex(rules: RuleSet): string {
  const rows = rules.alerting.flatMap((g) =>
    g.rules.map((a) => [
      `[${a.alert}](#${githubSlug(a.runbookHeading ?? a.alert)})`,
      a.severity,
      a.for,
      a.summary,
    ]),
  );
  return markdownTable(["alert", "severity", "for", "summary"], rows);
}

export function regionContent(region: Region, rules: RuleSet): string {
  return region === "promql" ? promqlReference(rules) : alertIndex(rules);
}

/** Replaces each generated region of `markdown`; throws when a marker pair is missing. */
export function fillRegions(markdown: string, rules: RuleSet): string {
  let out = markdown;
  for (const [region, [start, end]] of Object.entries(REGION_MARKERS) as [
    Region,
    readonly [string, string],
  ][]) {
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/runbook.md lacks the markers ${start} ... ${end}`);
    out = `${out.slice(0, from + start.length)}\n${regionContent(region, rules)}\n${out.slice(to)}`;
  }
  return out;
}
