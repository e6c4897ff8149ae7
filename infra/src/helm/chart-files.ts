import path from "node:path";
import { parse } from "yaml";
import { JOBS, SCRAPE_INTERVAL } from "../../../lib/contract/stack.js";
import { DATASOURCE } from "../grafana/datasources.js";
import { toYaml } from "../rules/render.js";

/**
 * The Helm chart's copies of generated files. Helm templates can read only files inside the
 * chart (`.Files.Get`), so the generator writes the rules and dashboards there too, from the
 * very text it writes under infra/: whatever rule groups and dashboards the source produces
 * reach the chart's PrometheusRule and dashboard ConfigMaps without a template naming them.
 */
export const CHART_DIR = "deploy/helm/sdlc-resource-stack";

export const CHART_PATHS = {
  /** Every rule group of infra/prometheus/rules/*.yml, in one file: the PrometheusRule's spec. */
  rules: `${CHART_DIR}/files/prometheus-rules.yaml`,
  /** One JSON file per infra/grafana/dashboards/*.json, same name, same bytes. */
  dashboardsDir: `${CHART_DIR}/files/dashboards`,
  /** The names the templates take from the shared contract (lib/contract). */
  contract: `${CHART_DIR}/files/contract.yaml`,
} as const;

/** What the chart's templates read from files/contract.yaml. */
export interface ChartContract {
  /** The `job` every scrape of the service gets (the Service label the ServiceMonitor's jobLabel names). */
  readonly job: string;
  /** The ServiceMonitor's default interval: the one the rules' rate windows are sized for. */
  readonly scrapeInterval: string;
  /** The Prometheus datasource uid the dashboards reference, replaced when values ask for another. */
  readonly datasourceUid: string;
}

export function chartContract(): ChartContract {
  return { job: JOBS.service, scrapeInterval: SCRAPE_INTERVAL, datasourceUid: DATASOURCE.uid };
}

interface RuleFile {
  readonly groups: readonly unknown[];
}

/** Where, among the outputs, the files the chart copies are (directories, repository-relative). */
export interface ChartSources {
  readonly rulesDir: string;
  readonly dashboardsDir: string;
}

/**
 * The chart's files, from the generated outputs (repository-relative path to content): rule
 * files are parsed back and their groups concatenated in output order, dashboards copied.
 */
export function chartFiles(outputs: ReadonlyMap<string, string>, sources: ChartSources): Map<string, string> {
  const groups: unknown[] = [];
  const files = new Map<string, string>();
  for (const [rel, content] of outputs) {
    const dir = path.dirname(rel);
    if (dir === sources.rulesDir && rel.endsWith(".yml")) {
      const ruleFile = parse(content) as RuleFile;
      groups.push(...ruleFile.groups);
    } else if (dir === sources.dashboardsDir && rel.endsWith(".json")) {
      files.set(`${CHART_PATHS.dashboardsDir}/${path.basename(rel)}`, content);
    }
  }
  if (groups.length === 0) throw new Error(`no rule groups among the outputs in ${sources.rulesDir}`);
  files.set(CHART_PATHS.rules, toYaml({ groups }));
  files.set(CHART_PATHS.contract, toYaml(chartContract()));
  return files;
}
