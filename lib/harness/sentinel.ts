/**
 * Runs redis-sentinel (Debian's package, or `redis-server --sentinel`) from
 * infra/redis/sentinel.conf rewritten for loopback (lib/harness/config-rewrite.ts): the monitor
 * line points at the master's loopback port. Sentinel rewrites its config file (the replicas
 * and other sentinels it learns, the current master), so every sentinel runs from its own copy
 * in its own scratch directory.
 *
 *   const sentinels = await Promise.all([0, 1, 2].map(() => startSentinel({ masterPort: master.port })));
 *   const { port } = await sentinelMaster(sentinels[0].url);   // who is master now
 *   await Promise.all(sentinels.map((s) => s.stop()));
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { SENTINEL_MASTER_NAME } from "../contract/stack.js";
import { REPO_ROOT } from "../repo.js";
import { findBinary } from "./binaries.js";
import { rewriteSentinelConfig } from "./config-rewrite.js";
import { startDaemonIn } from "./daemon.js";
import { getFreePort } from "./ports.js";
import { redisAnswers } from "./redis.js";

export const SENTINEL_CONFIG = path.join(REPO_ROOT, "infra/redis/sentinel.conf");

export interface SentinelOptions {
  /** The initial master's loopback port (Sentinel finds the replicas and its peers itself). */
  readonly masterPort: number;
  /** Listen port; a free one when absent or 0. */
  readonly port?: number;
  readonly logFile?: string;
}

export interface SentinelProcess {
  readonly port: number;
  /** e.g. redis://127.0.0.1:26379 (a Sentinel speaks RESP) */
  readonly url: string;
  readonly pid: number | undefined;
  /** Its rewritten config (Sentinel keeps its state in it). */
  readonly configFile: string;
  output(): string;
  /** SIGTERM (SIGCONT first, should a drill have frozen it), wait for exit, remove its scratch directory. */
  stop(): Promise<void>;
}

function sentinelCommand(): { command: string; args: string[] } {
  try {
    return { command: findBinary(["redis-sentinel"]), args: [] };
  } catch {
    // redis-sentinel is redis-server under another name; the flag does the same.
    return { command: findBinary(["redis-server"]), args: ["--sentinel"] };
  }
}

export async function startSentinel(options: SentinelOptions): Promise<SentinelProcess> {
  const port = options.port || (await getFreePort());
  const dir = await mkdtemp(path.join(tmpdir(), "sentinel-"));
  const configFile = path.join(dir, "sentinel.conf");
  await writeFile(
    configFile,
    rewriteSentinelConfig(await readFile(SENTINEL_CONFIG, "utf8"), {
      port,
      masterPort: options.masterPort,
      dir,
    }),
  );
  const { command, args } = sentinelCommand();
  const daemon = await startDaemonIn(dir, {
    name: `redis-sentinel on 127.0.0.1:${port}`,
    command,
    // Sentinel reads its config file's path first; with redis-server, --sentinel follows it.
    args: [configFile, ...args],
    ...(options.logFile ? { logFile: options.logFile } : {}),
    ready: () => redisAnswers(port),
    readyTimeoutMs: 10_000,
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: daemon.pid,
    configFile,
    output: daemon.output,
    stop: () => daemon.stop(),
  };
}

/** The master a Sentinel reports for `masterName` (SENTINEL GET-MASTER-ADDR-BY-NAME). */
export async function sentinelMaster(
  sentinelUrl: string,
  masterName: string = SENTINEL_MASTER_NAME,
): Promise<{ host: string; port: number }> {
  const client = createClient({
    url: sentinelUrl,
    socket: { connectTimeout: 1_000, reconnectStrategy: false },
  });
  client.on("error", () => {
    // connect() rejects with the same error; without a listener it would be thrown again.
  });
  await client.connect();
  try {
    const reply = (await client.sendCommand(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName])) as
      | [string, string]
      | null;
    if (!reply) throw new Error(`sentinel ${sentinelUrl} does not know master ${masterName}`);
    return { host: reply[0], port: Number(reply[1]) };
  } finally {
    client.destroy();
  }
}

/**
 * The master most of `sentinelUrls` agree on (a quorum of answers): during a failover a
 * sentinel may still report the old one. Throws when no address has a majority.
 */
export async function agreedMaster(
  sentinelUrls: readonly string[],
  masterName: string = SENTINEL_MASTER_NAME,
): Promise<{ host: string; port: number }> {
  const answers = await Promise.all(
    sentinelUrls.map((url) => sentinelMaster(url, masterName).catch(() => undefined)),
  );
  const votes = new Map<string, number>();
  for (const answer of answers) {
    if (answer)
      votes.set(`${answer.host}:${answer.port}`, (votes.get(`${answer.host}:${answer.port}`) ?? 0) + 1);
  }
  const [best] = [...votes.entries()].sort((a, b) => b[1] - a[1]);
  if (!best || best[1] <= sentinelUrls.length / 2)
    throw new Error(`sentinels do not agree on a master for ${masterName}: ${JSON.stringify(answers)}`);
  const [host, port] = best[0].split(":");
  return { host: host ?? "", port: Number(port) };
}
