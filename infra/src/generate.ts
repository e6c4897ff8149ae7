/**
 * `npm run gen:obs`: writes the generated Prometheus rules, promtool tests, Grafana
 * dashboards and provisioning, and the generated regions of docs/runbook.md.
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

/** Generated test files no longer produced (an alert was removed or renamed). */
async function staleTestFiles(outputs: Map<string, string>): Promise<string[]> {
  const dir = OUTPUT_PATHS.ruleTestsDir;
  const names = await readdir(path.join(REPO_ROOT, dir)).catch(() => [] as string[]);
  return names
    .filter((name) => name.endsWith(".test.yml"))
    .map((name) => `${dir}/${name}`)
    .filter((rel) => !outputs.has(rel));
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
  const stale = await staleTestFiles(outputs);
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
