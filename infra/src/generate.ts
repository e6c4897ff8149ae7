/**
 * `npm run gen:obs`: writes the generated Prometheus rules, promtool tests, Grafana
 * dashboards and provisioning, the generated regions of docs/runbook.md, and the Helm chart's
 * copies of the rules and dashboards.
 * `npm run check:gen` (`--check`): writes nothing, exits 1 listing files that differ.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildOutputs, OUTPUT_PATHS, REPO_ROOT } from "./outputs.js";

async function current(rel: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(REPO_ROOT, rel), "utf8");
  } catch {
    return undefined;
  }
}

/** Directories whose files are all generated, and the suffix of those files. */
const GENERATED_DIRS = [
  { dir: OUTPUT_PATHS.ruleTestsDir, suffix: ".test.yml" },
  { dir: OUTPUT_PATHS.chartDashboardsDir, suffix: ".json" },
] as const;

/** Generated files no longer produced (an alert or a dashboard was removed or renamed). */
async function staleFiles(outputs: Map<string, string>): Promise<string[]> {
  const stale: string[] = [];
  for (const { dir, suffix } of GENERATED_DIRS) {
    const names = await readdir(path.join(REPO_ROOT, dir)).catch(() => [] as string[]);
    stale.push(
      ...names
        .filter((name) => name.endsWith(suffix))
        .map((name) => `${dir}/${name}`)
        .filter((rel) => !outputs.has(rel)),
    );
  }
  return stale;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const outputs = await buildOutputs();
  const changed: string[] = [];
  for (const [rel, content] of outputs) {
    if ((await current(rel)) === content) continue;
    changed.push(rel);
    if (!check) {
      await mkdir(path.dirname(path.join(REPO_ROOT, rel)), { recursive: true });
      await writeFile(path.join(REPO_ROOT, rel), content);
    }
  }
  const stale = await staleFiles(outputs);
  if (!check) for (const rel of stale) await rm(path.join(REPO_ROOT, rel));

  const report = [...changed.map((rel) => `  ${rel}`), ...stale.map((rel) => `  ${rel} (stale)`)];
  if (check && report.length) {
    console.error(`generated files are out of date; run npm run gen:obs:\n${report.join("\n")}`);
    process.exitCode = 1;
  } else {
    console.log(
      report.length
        ? `${check ? "would write" : "wrote"}:\n${report.join("\n")}`
        : "generated files up to date",
    );
  }
}

await main();
