/**
 * `npm run gen:obs`: writes the generated Prometheus rules, promtool tests, Grafana
 * dashboards and provisioning, the generated regions of docs/runbook.md, and the Helm chart's
 * copies of the rules and dashboards.
 * `npm run check:gen` (`--check`): writes nothing, exits 1 listing files that differ.
 * `--runbook-base-url=<url>` (or RUNBOOK_BASE_URL) sets where every runbook_url points.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildOutputs, OUTPUT_PATHS, REPO_ROOT } from "./outputs.js";
import { RUNBOOK_BASE_URL_FLAG, runbookBaseUrl } from "./runbook.js";

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
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--check" && !a.startsWith(`${RUNBOOK_BASE_URL_FLAG}=`));
  if (unknown.length)
    throw new Error(
      `unknown argument(s) ${unknown.join(" ")}; known: --check, ${RUNBOOK_BASE_URL_FLAG}=<url>`,
    );
  const check = args.includes("--check");
  const outputs = await buildOutputs({ runbookBaseUrl: runbookBaseUrl(args, process.env) });
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
