import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { findBinary } from "../../lib/harness/binaries.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { type RunResult, run } from "../../test/support/exec.js";
import { OUTPUT_PATHS } from "../src/outputs.js";

/** The parts of Grafana dashboard JSON the tests look at. */
export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating?: { list?: { name: string; query?: unknown; datasource?: { uid?: string } }[] };
}

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; refId?: string; datasource?: { uid?: string } }[];
  fieldConfig?: { defaults?: { thresholds?: { steps: { value: number | null; color: string }[] } } };
  panels?: PanelJson[];
}

export const DASHBOARD_FILES = [OUTPUT_PATHS.resourceDashboard, OUTPUT_PATHS.k6Dashboard];

export async function loadDashboard(rel: string): Promise<DashboardJson> {
  return JSON.parse(await readFile(path.join(REPO_ROOT, rel), "utf8")) as DashboardJson;
}

/** Top-level panels and panels nested in collapsed rows. */
export function allPanels(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * Grafana's built-in and dashboard variables replaced by values Prometheus accepts, so the
 * expressions can go through the real PromQL parser.
 */
export function substituteVariables(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__interval", "1m")
    .replaceAll("$__range", "1h")
    .replaceAll("$testid", ".*");
}

/** `label_values(metric, label)` (a Grafana function, not PromQL) reduced to its selector. */
export function variableSelector(query: string): string | undefined {
  return /^label_values\((.+),\s*[a-zA-Z_]\w*\)$/.exec(query.trim())?.[1];
}

/**
 * `promtool test rules` of `tests` (rule-test groups: input series, promql_expr_test, ...)
 * against the generated recording and alert rules, evaluated every minute; the test file is
 * written into `dir` as `<name>.test.yml`.
 */
export async function testWithGeneratedRules(
  dir: string,
  name: string,
  tests: unknown[],
): Promise<RunResult> {
  const file = path.join(dir, `${name}.test.yml`);
  await writeFile(
    file,
    stringify({
      rule_files: [OUTPUT_PATHS.recordingRules, OUTPUT_PATHS.alertRules].map((p) => path.join(REPO_ROOT, p)),
      evaluation_interval: "1m",
      tests,
    }),
  );
  return await run(findBinary(["promtool"]), ["test", "rules", file]);
}
