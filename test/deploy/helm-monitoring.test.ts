import { readFileSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { DATASOURCE } from "../../infra/src/grafana/datasources.js";
import { CHART_DIR, CHART_PATHS } from "../../infra/src/helm/chart-files.js";
import { buildOutputs, OUTPUT_PATHS } from "../../infra/src/outputs.js";
import { findBinary } from "../../lib/harness/binaries.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { run } from "../support/exec.js";
import { CHART, type Manifest, only, render } from "./chart.js";

/**
 * The chart's monitoring objects against the generator: the PrometheusRule equal to the
 * generated rule groups and passing promtool (3.x and 2.42) with the project's unit tests, the
 * dashboard ConfigMaps equal to the generated dashboards, the chart's generated files current.
 */

const dirs: string[] = [];
async function scratch(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function generatedGroups(): Promise<Map<string, unknown>> {
  const dir = path.join(REPO_ROOT, path.dirname(OUTPUT_PATHS.alertRules));
  const groups = new Map<string, unknown>();
  for (const file of await readdir(dir))
    for (const group of parse(await readFile(path.join(dir, file), "utf8")).groups)
      groups.set(group.name, group);
  return groups;
}

function groupsByName(rule: Manifest): Map<string, unknown> {
  return new Map((rule.spec.groups as Array<{ name: string }>).map((g) => [g.name, g]));
}

describe("PrometheusRule", () => {
  let rule: Manifest;
  let rulesFile: string;
  beforeAll(async () => {
    rule = only(await render(), "PrometheusRule");
    rulesFile = path.join(await scratch("helm-rules-"), "prometheusrule.yml");
    await writeFile(rulesFile, stringify({ groups: rule.spec.groups }));
  });

  it("has exactly the groups the generator writes to infra/prometheus/rules/", async () => {
    const expected = await generatedGroups();
    expect(expected.size).toBeGreaterThan(3);
    expect(groupsByName(rule)).toEqual(expected);
  });

  it("differs when the chart's copy of the rules does (a stale copy is caught)", async () => {
    const chartCopy = await scratch("helm-chart-");
    await cp(CHART, chartCopy, { recursive: true });
    const copied = path.join(chartCopy, path.relative(CHART_DIR, CHART_PATHS.rules));
    const text = await readFile(copied, "utf8");
    await writeFile(copied, text.replace(/for: 10m/, "for: 20m"));
    const stale = only(await render({ chartDir: chartCopy }), "PrometheusRule");
    expect(groupsByName(stale)).not.toEqual(await generatedGroups());
  });

  it.each(promtools())("passes promtool check rules (%s)", async (promtool) => {
    const result = await run(promtool, ["check", "rules", rulesFile]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const count = (rule.spec.groups as Array<{ rules: unknown[] }>).reduce((n, g) => n + g.rules.length, 0);
    expect(result.stdout).toContain(`SUCCESS: ${count} rules found`);
  });

  /** infra/prometheus/tests/*.test.yml, with rule_files pointing at `rules`, in a scratch dir. */
  async function unitTestsAgainst(rules: string): Promise<string[]> {
    const source = path.join(REPO_ROOT, OUTPUT_PATHS.ruleTestsDir);
    const target = await scratch("helm-promtool-");
    const files: string[] = [];
    for (const name of (await readdir(source)).filter((n) => n.endsWith(".test.yml"))) {
      const test = parse(await readFile(path.join(source, name), "utf8"));
      test.rule_files = [rules];
      files.push(path.join(target, name));
      await writeFile(path.join(target, name), stringify(test, { lineWidth: 0 }));
    }
    return files;
  }

  it.each(promtools())(
    "passes every promtool unit test of infra/prometheus/tests/ (%s)",
    async (promtool) => {
      const files = await unitTestsAgainst(rulesFile);
      expect(files.length).toBeGreaterThan(5);
      const result = await run(promtool, ["test", "rules", ...files], { timeoutMs: 110_000 });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout.match(/SUCCESS/g)?.length).toBe(files.length);
    },
    120_000,
  );

  it("fails those unit tests when a threshold in the PrometheusRule moves", async () => {
    const text = await readFile(rulesFile, "utf8");
    const mutated = text.replace(
      ":mcp_resource_loading_latency_seconds:p95_rate5m > 0.1",
      ":mcp_resource_loading_latency_seconds:p95_rate5m > 0.13",
    );
    expect(mutated).not.toBe(text);
    const mutant = path.join(await scratch("helm-mutant-"), "prometheusrule.yml");
    await writeFile(mutant, mutated);
    const files = (await unitTestsAgainst(mutant)).filter((f) =>
      f.endsWith("resource-loading-latency-p95-high.test.yml"),
    );
    const result = await run(findBinary(["promtool"]), ["test", "rules", ...files]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
  });
});

describe("dashboard ConfigMaps", () => {
  const dashboardsDir = path.join(REPO_ROOT, path.dirname(OUTPUT_PATHS.resourceDashboard));

  it("one per generated dashboard, labelled for the Grafana sidecar, with the same JSON", async () => {
    const maps = (await render()).filter((m) => m.kind === "ConfigMap");
    const files = (await readdir(dashboardsDir)).filter((f) => f.endsWith(".json")).sort();
    expect(maps.flatMap((m) => Object.keys(m.data ?? {})).sort()).toEqual(files);
    for (const map of maps) {
      expect(map.metadata.labels?.grafana_dashboard).toBe("1");
      expect(map.metadata.namespace).toBe("sdlc");
      for (const [file, json] of Object.entries(map.data ?? {}))
        expect(JSON.parse(json)).toEqual(JSON.parse(await readFile(path.join(dashboardsDir, file), "utf8")));
    }
  });

  it("point every Prometheus query at another datasource uid on request, and nothing else changes", async () => {
    const maps = (await render({ set: ["monitoring.dashboards.datasourceUid=kps-prometheus"] })).filter(
      (m) => m.kind === "ConfigMap",
    );
    for (const map of maps)
      for (const [file, json] of Object.entries(map.data ?? {})) {
        const original = await readFile(path.join(dashboardsDir, file), "utf8");
        expect(json).not.toContain(`"uid": "${DATASOURCE.uid}"`);
        const uidOf = (text: string) => text.match(/"uid": "[^"]*"/g) ?? [];
        const swapped = uidOf(original).map((u) =>
          u === `"uid": "${DATASOURCE.uid}"` ? `"uid": "kps-prometheus"` : u,
        );
        expect(uidOf(json)).toEqual(swapped);
        expect(json.replaceAll('"uid": "kps-prometheus"', `"uid": "${DATASOURCE.uid}"`)).toBe(
          original.trimEnd(),
        );
      }
  });
});

describe("the chart's generated files", () => {
  it("are what npm run gen:obs writes, with no dashboard left over from an earlier run", async () => {
    const outputs = await buildOutputs();
    const chartOutputs = [...outputs.keys()].filter((rel) => rel.startsWith(`${CHART_DIR}/`));
    expect(chartOutputs).toEqual(expect.arrayContaining([CHART_PATHS.rules, CHART_PATHS.contract]));
    for (const rel of chartOutputs)
      expect(readFileSync(path.join(REPO_ROOT, rel), "utf8"), rel).toBe(outputs.get(rel));
    const onDisk = (await readdir(path.join(REPO_ROOT, CHART_PATHS.dashboardsDir))).map(
      (name) => `${CHART_PATHS.dashboardsDir}/${name}`,
    );
    expect(onDisk.filter((rel) => !outputs.has(rel))).toEqual([]);
  });
});

/** The pinned promtool (Prometheus 3.x) and Debian's 2.42 (scripts/install/deps.sh installs both). */
function promtools(): string[] {
  return [findBinary(["promtool"]), "/usr/bin/promtool"];
}
