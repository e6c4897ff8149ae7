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
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { SENTINEL_MASTER_NAME } from "../contract/stack.js";
import { REPO_ROOT } from "../repo.js";
import { findBinary } from "./binaries.js";
import { rewriteSentinelConfig } from "./config-rewrite.js";
import { getFreePort, waitFor } from "./ports.js";
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
  /** SIGTERM, wait for exit, remove its scratch directory. */
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;

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
  await mkdir(dir, { recursive: true });
  await writeFile(
    configFile,
    rewriteSentinelConfig(await readFile(SENTINEL_CONFIG, "utf8"), {
      port,
      masterPort: options.masterPort,
      dir,
    }),
  );
  const { command, args } = sentinelCommand();
  // Sentinel reads its config file's path first; with redis-server, --sentinel follows it.
  const child: ChildProcess = spawn(command, [configFile, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    log?.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (!exited()) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `redis-sentinel on 127.0.0.1:${port}`,
      async () => {
        if (exited()) throw new Error(`redis-sentinel exited (${child.exitCode}): ${output.slice(-2_000)}`);
        return await redisAnswers(port);
      },
      { timeoutMs: 10_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return exited() ? undefined : child.pid;
    },
    configFile,
    output: () => output,
    stop,
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
