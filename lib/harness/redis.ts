/**
 * The one way this repository starts a redis-server: on loopback, on a free port unless one
 * is given, with its working directory in a scratch directory. Bare (no persistence, nothing
 * else configured) for tests of the cache client, or with the project's infra/redis/redis.conf
 * (the native stack, benchmarks, `task db:start`), whose settings the command line narrows to
 * loopback, this port and the scratch directory. The server runs from its own copy of that file
 * in the scratch directory: Sentinel reconfigures nodes (REPLICAOF) and Redis then rewrites its
 * config file (CONFIG REWRITE), which must neither fail nor edit the repository's. The server can be stopped, killed and started
 * again on the same port (outage tests), or left running detached (`task db:start`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONFIG_PATHS } from "../repo.js";
import { getFreePort, waitFor } from "./ports.js";

export interface RedisOptions {
  /** The project's infra/redis/redis.conf (true) or a bare server (false, the default). */
  readonly projectConfig?: boolean;
  /** Listen port; a free one when absent or 0. */
  readonly port?: number;
  readonly extraArgs?: readonly string[];
  /** Also append the server's output to this file. */
  readonly logFile?: string;
  /**
   * Leave the server running when this process exits (`redis-server --daemonize`), with its
   * pid and log files in this directory; `stop()` shuts it down with SHUTDOWN NOSAVE.
   */
  readonly detachedIn?: string;
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** The server's process id while it runs (SIGSTOP/SIGCONT freezes it). */
  readonly pid: number | undefined;
  /** The last 64 KB of its output (attached servers only). */
  output(): string;
  /** Starts the server again on the same port (after stop or kill). */
  start(): Promise<void>;
  /** SIGTERM and wait for exit (SHUTDOWN NOSAVE for a detached server). */
  stop(): Promise<void>;
  /** SIGKILL: the abrupt outage a cache client has to survive. */
  kill(): Promise<void>;
}

/** PING over a raw socket, so the helper does not depend on a Redis client library. */
export async function redisAnswers(port: number): Promise<boolean> {
  return (await redisCommand(port, ["PING"], 500).catch(() => "")) === "+PONG";
}

/** Sends one RESP command over a raw socket and returns the first line of the reply. */
export async function redisCommand(
  port: number,
  command: readonly string[],
  timeoutMs = 2_000,
): Promise<string> {
  const payload = `*${command.length}\r\n${command.map((c) => `$${Buffer.byteLength(c)}\r\n${c}\r\n`).join("")}`;
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no reply to ${command[0]} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.slice(0, data.indexOf("\r\n")));
      }
    });
  });
}

const OUTPUT_LIMIT = 64 * 1024;

export async function startRedis(options: RedisOptions = {}): Promise<RedisProcess> {
  const port = options.port || (await getFreePort());
  const dir = options.detachedIn ?? (await mkdtemp(path.join(tmpdir(), "redis-")));
  const configFile = path.join(dir, `redis-${port}.conf`);
  const args = [
    ...(options.projectConfig ? [configFile] : ["--save", "", "--appendonly", "no"]),
    // After the file: the command line wins.
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    ...(options.detachedIn
      ? [
          "--daemonize",
          "yes",
          "--pidfile",
          path.join(dir, `redis-${port}.pid`),
          "--logfile",
          path.join(dir, `redis-${port}.log`),
        ]
      : []),
    ...(options.extraArgs ?? []),
  ];
  const log = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  let child: ChildProcess | undefined;
  let output = "";
  let detachedPid: number | undefined;

  const start = async () => {
    // stop() removes the scratch directory; a restart gets a fresh one at the same path.
    await mkdir(dir, { recursive: true });
    // A copy the server may rewrite; kept across kill and start, as a restarted server keeps
    // its file (with what Sentinel wrote), fresh after stop(), which removes the directory.
    if (options.projectConfig && !existsSync(configFile)) await copyFile(CONFIG_PATHS.redis, configFile);
    const running = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = running;
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
      log?.write(chunk);
    };
    running.stdout?.on("data", collect);
    running.stderr?.on("data", collect);
    await waitFor(
      `redis-server on 127.0.0.1:${port}`,
      async () => {
        // A daemonizing server's launcher exits 0 at once; an attached one must keep running.
        if (!options.detachedIn && running.exitCode !== null)
          throw new Error(`redis-server exited (${running.exitCode}): ${output.slice(-2_000)}`);
        return await redisAnswers(port);
      },
      { timeoutMs: 10_000 },
    );
    if (options.detachedIn) {
      detachedPid = Number((await readFile(path.join(dir, `redis-${port}.pid`), "utf8")).trim());
      child = undefined;
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    if (options.detachedIn) {
      await redisCommand(port, ["SHUTDOWN", "NOSAVE"]).catch(() => "");
      await waitFor(`redis on ${port} to stop`, async () => !(await redisAnswers(port)), {
        timeoutMs: 10_000,
      });
      return;
    }
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    // A frozen server cannot act on SIGTERM.
    running.kill("SIGCONT");
    running.kill(signal);
    await exited;
  };

  try {
    await start();
  } catch (error) {
    await end("SIGKILL");
    if (!options.detachedIn) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? detachedPid;
    },
    output: () => output,
    start,
    async stop() {
      await end("SIGTERM");
      if (!options.detachedIn) await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      await end("SIGKILL");
    },
  };
}
