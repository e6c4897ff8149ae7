/**
 * Runs the real `prometheus` binary with the project's prometheus.yml, its compose targets
 * rewritten to loopback addresses (lib/harness/config-rewrite.ts), in a throw-away directory.
 *
 *   const prom = await startPrometheus({
 *     scrapeTargets: { "mcp-resource-service": "127.0.0.1:41234", redis: exporter.address },
 *     alertmanagerUrl: am.url,          // optional; without it alerting is removed
 *     scrapeInterval: "1s", evaluationInterval: "1s",
 *   });
 *   ... prom.url ...
 *   await prom.stop();
 *
 * The `prometheus` job scrapes this instance itself unless given. Jobs of prometheus.yml not in
 * `scrapeTargets` are dropped (their compose hosts do not resolve here). A job given a list of
 * targets (the service replicas) is discovered from a file_sd file in the scratch directory,
 * the loopback stand-in for compose's DNS discovery.
 */
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { JOBS, PROMETHEUS_FEATURE_FLAGS } from "../contract/stack.js";
import { CONFIG_PATHS } from "../repo.js";
import { findBinary } from "./binaries.js";
import { fileSdTargets, rewritePrometheusConfig } from "./config-rewrite.js";
import { httpOk, startDaemonIn } from "./daemon.js";
import { getFreePort } from "./ports.js";

export const PROMETHEUS_CONFIG = CONFIG_PATHS.prometheus;

export interface PrometheusOptions {
  /** job -> "127.0.0.1:port", or a list of them (discovered from a file_sd file) */
  readonly scrapeTargets: Readonly<Record<string, string | readonly string[]>>;
  /** e.g. http://127.0.0.1:9093 */
  readonly alertmanagerUrl?: string;
  /** Rule files (absolute or relative to the config's directory); default: the config's own. */
  readonly ruleFiles?: readonly string[];
  /** Scrape interval; tests use "1s" so data appears within seconds. */
  readonly scrapeInterval?: string;
  readonly evaluationInterval?: string;
  /** Defaults to infra/prometheus/prometheus.yml. */
  readonly configPath?: string;
  readonly extraArgs?: readonly string[];
  /** Listen port; a free one when absent (the native stack passes the contract's 9090). */
  readonly port?: number;
}

export interface PrometheusProcess {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** e.g. 127.0.0.1:41234, for scrape targets */
  readonly address: string;
  /** The temp dir holding the rewritten config and the TSDB. */
  readonly dir: string;
  readonly configFile: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusProcess> {
  const configPath = options.configPath ?? PROMETHEUS_CONFIG;
  const port = options.port || (await getFreePort());
  const address = `127.0.0.1:${port}`;
  const dir = await mkdtemp(path.join(tmpdir(), "prometheus-"));
  const original = parse(await readFile(configPath, "utf8"));
  const hasSelfJob = (original.scrape_configs ?? []).some(
    (j: { job_name?: string }) => j.job_name === JOBS.prometheus,
  );
  const targetFiles: Record<string, string> = {};
  for (const [job, targets] of Object.entries(options.scrapeTargets)) {
    if (typeof targets === "string") continue;
    await mkdir(path.join(dir, "targets"), { recursive: true });
    const file = path.join(dir, "targets", `${job}.json`);
    await writeFile(file, fileSdTargets(targets as readonly string[]));
    targetFiles[job] = file;
  }
  const config = rewritePrometheusConfig(original, {
    scrapeTargets: { ...(hasSelfJob ? { [JOBS.prometheus]: address } : {}), ...options.scrapeTargets },
    targetFiles,
    alertmanagers: options.alertmanagerUrl ? [new URL(options.alertmanagerUrl).host] : [],
    ruleFiles: options.ruleFiles,
    configDir: path.dirname(configPath),
    scrapeInterval: options.scrapeInterval,
    evaluationInterval: options.evaluationInterval,
  });
  const configFile = path.join(dir, "prometheus.yml");
  await writeFile(configFile, stringify(config));

  const url = `http://${address}`;
  const daemon = await startDaemonIn(dir, {
    name: "prometheus",
    command: findBinary(["prometheus"]),
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=${address}`,
      // Lets drills reload a changed config (POST /-/reload) without a restart.
      "--web.enable-lifecycle",
      ...PROMETHEUS_FEATURE_FLAGS,
      ...(options.extraArgs ?? []),
    ],
    ready: () => httpOk(`${url}/-/ready`),
    readyTimeoutMs: 60_000,
  });
  return {
    url,
    address,
    dir,
    configFile,
    output: daemon.output,
    stop: () => daemon.stop(),
  };
}
