/**
 * What a compose stack of tests and drills changes, written to a scratch directory and mounted
 * by the override file: prometheus.yml with other rule files and intervals, alertmanager.yml with
 * other grouping timings. The committed files are never touched.
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { CONFIG_PATHS, REPO_ROOT } from "../../repo.js";
import { globalWithIntervals, rewriteAlertmanagerConfig } from "../config-rewrite.js";
import type { StackOptions } from "./types.js";

/** Files the containers read run as other users (nobody, node): readable by all. */
export async function writeShared(file: string, content: string): Promise<void> {
  await writeFile(file, content);
  await chmod(file, 0o644);
}

export async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "compose-stack-"));
  await chmod(dir, 0o755);
  return dir;
}

/**
 * The committed prometheus.yml with the rule files and intervals options ask for. Scrape and
 * alerting targets stay as committed: inside the project's network the compose names resolve
 * (the service's replicas through DNS discovery), so nothing is rewritten to addresses.
 */
export function containerPrometheusConfig(
  config: Record<string, unknown>,
  options: Pick<StackOptions, "scrapeInterval" | "evaluationInterval">,
): Record<string, unknown> {
  const out = structuredClone(config);
  out.global = globalWithIntervals(out.global, options);
  out.rule_files = ["rules/*.yml"];
  return out;
}

/** prometheus.yml and rules/ for the container, as options ask; undefined when nothing changes. */
export async function prometheusOverride(dir: string, options: StackOptions): Promise<string | undefined> {
  if (!options.ruleFiles && !options.scrapeInterval && !options.evaluationInterval) return undefined;
  const rewritten = containerPrometheusConfig(
    parse(await readFile(CONFIG_PATHS.prometheus, "utf8")),
    options,
  );
  const out = path.join(dir, "prometheus");
  const rules = path.join(out, "rules");
  await mkdir(rules, { recursive: true });
  await chmod(out, 0o755);
  await chmod(rules, 0o755);
  await writeShared(path.join(out, "prometheus.yml"), stringify(rewritten));
  const ruleFiles = options.ruleFiles ?? [
    path.join(REPO_ROOT, "infra/prometheus/rules/recording.yml"),
    path.join(REPO_ROOT, "infra/prometheus/rules/alerts.yml"),
  ];
  const seen = new Set<string>();
  for (const [index, file] of ruleFiles.entries()) {
    // Prometheus loads rules/*.yml: same base names from different directories must not collide.
    let name = path.basename(file).replace(/\.ya?ml$/, ".yml");
    if (seen.has(name)) name = `${index}-${name}`;
    seen.add(name);
    await copyFile(file, path.join(rules, name));
    await chmod(path.join(rules, name), 0o644);
  }
  return out;
}

export async function alertmanagerOverride(dir: string, options: StackOptions): Promise<string | undefined> {
  if (!options.alertmanagerTimings) return undefined;
  const config = rewriteAlertmanagerConfig(parse(await readFile(CONFIG_PATHS.alertmanager, "utf8")), {
    timings: options.alertmanagerTimings,
  });
  const file = path.join(dir, "alertmanager.yml");
  await writeShared(file, stringify(config));
  return file;
}
