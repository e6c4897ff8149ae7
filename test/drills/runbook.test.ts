/**
 * The drills and the documents agree: every alert is rehearsed by a drill, the runbook's
 * section of each alert names those drills, every drill has its task, and the cold-start
 * drill can read the table it measures against.
 */
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DRILLS, NOT_DRILLED, rehearsals, SELF_MONITORING_PROOF } from "../../infra/drills/catalog.js";
import { DRILL_NAMES } from "../../infra/drills/drill.js";
import { coldStartTargets, parseLatencyTable } from "../../infra/drills/runbook-tables.js";
import { DEFAULT_PARAMS } from "../../infra/src/rule-params.js";
import { allAlerts, ruleSet } from "../../infra/src/rules/index.js";
import { RUNBOOK_PATH } from "../../infra/src/runbook.js";
import { REPO_ROOT } from "../../lib/repo.js";

const runbook = () => readFile(path.join(REPO_ROOT, RUNBOOK_PATH), "utf8");
const alerts = allAlerts(ruleSet(DEFAULT_PARAMS)).map((a) => a.alert);

/** The text of a `###` section, up to the next heading of level 2 or 3. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n### ${heading}\n`);
  if (start < 0) throw new Error(`no section "### ${heading}"`);
  const ends = [markdown.indexOf("\n### ", start + 1), markdown.indexOf("\n## ", start + 1)].filter(
    (i) => i >= 0,
  );
  return markdown.slice(start, Math.min(...ends));
}

describe("drills and the runbook", () => {
  it("rehearse every alert of the rules, but those proven elsewhere", () => {
    const rehearsed = rehearsals();
    const elsewhere = Object.keys(NOT_DRILLED);
    expect(alerts.filter((a) => !rehearsed.has(a) && !elsewhere.includes(a))).toEqual([]);
    expect([...rehearsed.keys(), ...elsewhere].filter((a) => !alerts.includes(a))).toEqual([]);
    expect(elsewhere.filter((a) => rehearsed.has(a))).toEqual([]);
  });

  it("point alerts proven elsewhere at a test that exists", async () => {
    const proofs = Object.values(NOT_DRILLED).filter((p) => p.startsWith(SELF_MONITORING_PROOF));
    expect(proofs.length).toBeGreaterThan(0);
    await expect(access(path.join(REPO_ROOT, SELF_MONITORING_PROOF))).resolves.toBeUndefined();
  });

  it("name, in each alert's section, the drills that rehearse it", async () => {
    const md = await runbook();
    for (const [alert, drills] of rehearsals()) {
      const text = section(md, alert);
      expect(text, alert).toMatch(/\*\*Drill:\*\*/);
      for (const drill of drills) expect(text, alert).toContain(`task drill:${drill}`);
    }
  });

  it("name each drill in the runbook sections it rehearses, and in the Drills table", async () => {
    const md = await runbook();
    const table = md.slice(md.indexOf("\n## Drills\n"), md.indexOf("\n## Prometheus Query Reference\n"));
    for (const name of DRILL_NAMES) {
      expect(table, name).toContain(`\`task drill:${name}\``);
      for (const heading of DRILLS[name]().runbookSections) {
        expect(section(md, heading), `${heading} -> ${name}`).toContain(`task drill:${name}`);
      }
    }
  });

  it("have a task each, and drill:all", async () => {
    const taskfile = parse(await readFile(path.join(REPO_ROOT, "Taskfile.yml"), "utf8")) as {
      tasks: Record<string, { cmds?: string[] }>;
    };
    for (const name of [...DRILL_NAMES, "all"]) {
      const task = taskfile.tasks[`drill:${name}`];
      expect(task, name).toBeDefined();
      expect(task?.cmds?.join("\n"), name).toContain(`drill -- ${name}`);
    }
  });

  it("read the runbook's Cache Cold Start table", async () => {
    const targets = await coldStartTargets();
    expect(Object.keys(targets).sort()).toEqual(["combined", "patterns", "sdlc", "templates"]);
    for (const t of Object.values(targets)) {
      expect(t.p50).toBeGreaterThan(0);
      expect(t.p50).toBeLessThanOrEqual(t.p95);
      expect(t.p95).toBeLessThanOrEqual(t.p99);
    }
    expect(() => parseLatencyTable("### Other\n\n| a |\n", "Expected Results (Cache Cold Start)")).toThrow();
  });
});
