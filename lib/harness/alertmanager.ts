/**
 * Runs the real Alertmanager with the project's alertmanager.yml on a free loopback port,
 * clustering off (no gossip port to collide on), webhook receivers pointed at `webhookBaseUrl`.
 *
 *   const am = await startAlertmanager({ webhookBaseUrl: "http://127.0.0.1:5001" });
 *   ... am.url ...  (pass to startPrometheus({ alertmanagerUrl: am.url }))
 *   await am.stop();
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { CONFIG_PATHS } from "../repo.js";
import { findBinary } from "./binaries.js";
import { type AlertmanagerRewrite, rewriteAlertmanagerConfig } from "./config-rewrite.js";
import { httpOk, startDaemonIn } from "./daemon.js";
import { getFreePort } from "./ports.js";

export const ALERTMANAGER_CONFIG = CONFIG_PATHS.alertmanager;

export interface AlertmanagerOptions {
  /** Origin every webhook receiver posts to (paths /page, /ticket are kept). */
  readonly webhookBaseUrl?: string;
  /** Faster grouping for drills, e.g. { group_wait: "1s", group_interval: "1s" }. */
  readonly timings?: AlertmanagerRewrite["timings"];
  readonly configPath?: string;
  /** Listen port; a free one when absent. */
  readonly port?: number;
}

export interface AlertmanagerProcess {
  readonly url: string;
  readonly address: string;
  readonly dir: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<AlertmanagerProcess> {
  const port = options.port || (await getFreePort());
  const address = `127.0.0.1:${port}`;
  const dir = await mkdtemp(path.join(tmpdir(), "alertmanager-"));
  const config = rewriteAlertmanagerConfig(
    parse(await readFile(options.configPath ?? ALERTMANAGER_CONFIG, "utf8")),
    {
      webhookBaseUrl: options.webhookBaseUrl,
      timings: options.timings,
    },
  );
  const configFile = path.join(dir, "alertmanager.yml");
  await writeFile(configFile, stringify(config));
  const url = `http://${address}`;
  const daemon = await startDaemonIn(dir, {
    name: "alertmanager",
    command: findBinary(["alertmanager", "prometheus-alertmanager"]),
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, "data")}`,
      `--web.listen-address=${address}`,
      // An empty address disables the gossip cluster (it would bind 0.0.0.0:9094).
      "--cluster.listen-address=",
    ],
    ready: () => httpOk(`${url}/-/ready`),
  });
  return {
    url,
    address,
    dir,
    output: daemon.output,
    stop: () => daemon.stop(),
  };
}
