import { readFile } from "node:fs/promises";
import path from "node:path";
import { pin } from "../../lib/pins.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { k6ResultsDashboard } from "./dashboards/k6-results.js";
import { resourceLoadingDashboard } from "./dashboards/resource-loading.js";
import { fillRegions } from "./docs/runbook-sections.js";
import { dashboardProvisioning, datasourceProvisioning } from "./grafana/provisioning.js";
import { CHART_PATHS, chartFiles } from "./helm/chart-files.js";
import { DEFAULT_PARAMS, type RuleParams } from "./rule-params.js";
import { ALERT_TEST_SPECS } from "./rule-tests/alert-scenarios.js";
import { exprTests } from "./rule-tests/expr-scenarios.js";
import { alertTestFile, exprTestFile, kebab } from "./rule-tests/render.js";
import { allAlerts, ruleSet } from "./rules/index.js";
import { alertRuleFile, recordingRuleFile, toYaml } from "./rules/render.js";
import { RUNBOOK_PATH } from "./runbook.js";

export { REPO_ROOT } from "../../lib/repo.js";

export const OUTPUT_PATHS = {
  recordingRules: "infra/prometheus/rules/recording.yml",
  alertRules: "infra/prometheus/rules/alerts.yml",
  ruleTestsDir: "infra/prometheus/tests",
  resourceDashboard: "infra/grafana/dashboards/resource-loading.json",
  k6Dashboard: "infra/grafana/dashboards/k6-results.json",
  datasource: "infra/grafana/provisioning/datasources/prometheus.yml",
  dashboardProvider: "infra/grafana/provisioning/dashboards/dashboards.yml",
  runbook: RUNBOOK_PATH,
  /** The Helm chart's copies of the rules and dashboards (helm/chart-files.ts). */
  chartDashboardsDir: CHART_PATHS.dashboardsDir,
} as const;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Just the two rule files for `params`, by repository-relative path: what a drill writes to a
 * temp dir (with `scaleParams`) and passes to startPrometheus({ ruleFiles }).
 */
export function ruleFiles(params: RuleParams, runbookBaseUrl?: string): Map<string, string> {
  const rules = ruleSet(params, runbookBaseUrl);
  return new Map([
    [OUTPUT_PATHS.recordingRules, toYaml(recordingRuleFile(rules.recording))],
    [OUTPUT_PATHS.alertRules, toYaml(alertRuleFile(rules.alerting))],
  ]);
}

export interface GeneratorOptions {
  readonly params?: RuleParams;
  /** Base of every runbook_url (runbook.ts `runbookBaseUrl` resolves the flag and variable). */
  readonly runbookBaseUrl?: string;
}

/**
 * Every generated file, by repository-relative path. Pure apart from reading .env's pins and
 * the hand-written runbook whose generated regions it refills.
 */
export async function buildOutputs(options: GeneratorOptions = {}): Promise<Map<string, string>> {
  const params = options.params ?? DEFAULT_PARAMS;
  const rules = ruleSet(params, options.runbookBaseUrl);
  const out = ruleFiles(params, options.runbookBaseUrl);

  const alerts = new Map(allAlerts(rules).map((a) => [a.alert, a]));
  for (const spec of ALERT_TEST_SPECS) {
    const alert = alerts.get(spec.alert);
    if (!alert) throw new Error(`promtool scenarios for unknown alert ${spec.alert}`);
    out.set(
      `${OUTPUT_PATHS.ruleTestsDir}/${kebab(spec.alert)}.test.yml`,
      toYaml(alertTestFile(alert, spec, params)),
    );
  }
  out.set(
    `${OUTPUT_PATHS.ruleTestsDir}/recording-rules.test.yml`,
    toYaml(exprTestFile(exprTests(rules.names), params)),
  );

  out.set(OUTPUT_PATHS.resourceDashboard, json(resourceLoadingDashboard(rules, params)));
  out.set(OUTPUT_PATHS.k6Dashboard, json(k6ResultsDashboard(rules)));
  out.set(OUTPUT_PATHS.datasource, toYaml(datasourceProvisioning(pin("PROMETHEUS_VERSION"))));
  out.set(OUTPUT_PATHS.dashboardProvider, toYaml(dashboardProvisioning()));

  const runbook = await readFile(path.join(REPO_ROOT, OUTPUT_PATHS.runbook), "utf8");
  out.set(OUTPUT_PATHS.runbook, fillRegions(runbook, rules));

  const chart = chartFiles(out, {
    rulesDir: path.dirname(OUTPUT_PATHS.alertRules),
    dashboardsDir: path.dirname(OUTPUT_PATHS.resourceDashboard),
  });
  for (const [rel, content] of chart) out.set(rel, content);
  return out;
}
