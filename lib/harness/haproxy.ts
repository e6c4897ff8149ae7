/**
 * Runs the real haproxy (Debian's 2.6, or whatever `haproxy` is on PATH) with the project's
 * infra/haproxy/*.cfg rewritten for loopback (lib/harness/config-rewrite.ts): the service
 * frontend and the exporter on the given ports, one `server` line per local replica instead of
 * the compose `server-template`, and, in the Sentinel topology, redis-master.cfg with the Redis
 * nodes' loopback ports. One process loads both files, as compose runs it.
 *
 *   const lb = await startHaproxy({ replicas: ["127.0.0.1:41001", "127.0.0.1:41002"] });
 *   await waitForBackend(lb.metricsUrl, HAPROXY_BACKENDS.service, 2);
 *   ... fetch(`${lb.url}/readyz`) ...
 *   await lb.stop();
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { HAPROXY_METRICS_PORT } from "../contract/stack.js";
import { REPO_ROOT } from "../repo.js";
import { findBinary } from "./binaries.js";
import { rewriteHaproxyConfig } from "./config-rewrite.js";
import { httpOk } from "./daemon.js";
import { getFreePort, waitFor } from "./ports.js";

const run = promisify(execFile);

/** The service balancer (frontends :8000 and :8404). */
export const HAPROXY_CONFIG = path.join(REPO_ROOT, "infra/haproxy/haproxy.cfg");
/** The Sentinel topology's Redis master frontend (:6379), loaded after HAPROXY_CONFIG. */
export const HAPROXY_REDIS_CONFIG = path.join(REPO_ROOT, "infra/haproxy/redis-master.cfg");

/** The ports the committed configs bind (compose form), which the rewrite maps to loopback ones. */
const COMPOSE_BINDS = { service: 8000, metrics: HAPROXY_METRICS_PORT, redis: 6379 } as const;

export function haproxyBinary(): string {
  return findBinary(["haproxy"]);
}

/**
 * `haproxy -c` on the files, in order. `ok` is haproxy's verdict; warnings (e.g. compose names
 * that do not resolve on this machine) are in `output`.
 */
export async function checkHaproxyConfig(files: readonly string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(haproxyBinary(), ["-c", ...files.flatMap((f) => ["-f", f])]);
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` || failed.message };
  }
}

export interface HaproxyOptions {
  /** The service replicas ("127.0.0.1:port"), in index order: server replica-1, replica-2, ... */
  readonly replicas: readonly string[];
  /** The service frontend (the published port); a free one when absent or 0. */
  readonly port?: number;
  /** The exporter and stats frontend; a free one when absent or 0. */
  readonly metricsPort?: number;
  /**
   * Sentinel topology: Redis node name (as redis-master.cfg names its servers) -> loopback
   * address. Given, redis-master.cfg is loaded too and its frontend listens on `redisPort`.
   */
  readonly redisNodes?: Readonly<Record<string, string>>;
  /** The Redis master frontend; a free one when absent or 0 (only with `redisNodes`). */
  readonly redisPort?: number;
  /** Also append haproxy's output (its logs go to stdout) to this file. */
  readonly logFile?: string;
  /** How long a soft stop (SIGUSR1) may take before SIGKILL (default 5 s). */
  readonly stopGraceMs?: number;
}

export interface HaproxyProcess {
  /** The service frontend, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  /** The exporter, e.g. http://127.0.0.1:8404/metrics */
  readonly metricsUrl: string;
  /** e.g. 127.0.0.1:8404, for a scrape target */
  readonly metricsAddress: string;
  /** Sentinel topology: the frontend that always leads to the master, e.g. redis://127.0.0.1:6379 */
  readonly redisUrl: string | undefined;
  readonly port: number;
  readonly metricsPort: number;
  readonly redisPort: number | undefined;
  /** The rewritten config files it runs with (in a scratch directory, removed by stop()). */
  readonly configFiles: readonly string[];
  /** The process id while it runs (SIGSTOP/SIGCONT freeze it). */
  readonly pid: number | undefined;
  /** The last 64 KB of its output (its logs: servers going up and down, ...). */
  output(): string;
  /** Starts it again with the same config and ports (after stop or kill). */
  start(): Promise<void>;
  /**
   * Soft stop (SIGUSR1: stops listening, lets sessions in flight finish), SIGKILL after a bound;
   * removes the scratch directory (start() writes it again).
   */
  stop(): Promise<void>;
  /** SIGKILL: a crashed balancer. */
  kill(): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Signals a child unless it is gone; a frozen one is resumed first, or it could not act on
 * a soft stop. Resolves once it has exited, with SIGKILL after `graceMs`.
 */
async function end(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGCONT");
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
}

export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyProcess> {
  if (options.replicas.length === 0) throw new Error("startHaproxy: at least one replica address is needed");
  const port = options.port || (await getFreePort());
  const metricsPort = options.metricsPort || (await getFreePort());
  const redisPort = options.redisNodes ? options.redisPort || (await getFreePort()) : undefined;
  const dir = await mkdtemp(path.join(tmpdir(), "haproxy-"));
  const binds: Record<number, number> = {
    [COMPOSE_BINDS.service]: port,
    [COMPOSE_BINDS.metrics]: metricsPort,
  };
  if (redisPort) binds[COMPOSE_BINDS.redis] = redisPort;
  const rewrite = { binds, templateServers: options.replicas, servers: options.redisNodes ?? {} };
  const sources = options.redisNodes ? [HAPROXY_CONFIG, HAPROXY_REDIS_CONFIG] : [HAPROXY_CONFIG];
  // Rewritten once; written (and checked) at every start, since stop() removes the directory.
  const configs = await Promise.all(
    sources.map(async (source) => ({
      file: path.join(dir, path.basename(source)),
      text: rewriteHaproxyConfig(await readFile(source, "utf8"), rewrite),
    })),
  );
  const configFiles = configs.map((c) => c.file);
  const metricsAddress = `127.0.0.1:${metricsPort}`;
  const log = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  const graceMs = options.stopGraceMs ?? 5_000;
  let child: ChildProcess | undefined;
  let output = "";

  const start = async () => {
    if (child && !exited(child)) return;
    await mkdir(dir, { recursive: true });
    for (const { file, text } of configs) await writeFile(file, text);
    const check = await checkHaproxyConfig(configFiles);
    if (!check.ok) throw new Error(`haproxy -c rejects the rewritten config (${dir}):\n${check.output}`);
    // -db: stay in the foreground, logs on stdout (global `log stdout`), supervised from here.
    const running = spawn(haproxyBinary(), ["-db", ...configFiles.flatMap((f) => ["-f", f])], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = running;
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
      log?.write(chunk);
    };
    running.stdout?.on("data", collect);
    running.stderr?.on("data", collect);
    running.on("error", collect.bind(null, Buffer.from("spawn error\n")));
    await waitFor(
      `haproxy on ${metricsAddress}`,
      async () => {
        if (exited(running)) throw new Error(`haproxy exited (${running.exitCode}): ${output.slice(-2_000)}`);
        return await httpOk(`http://${metricsAddress}/healthz`);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (running) await end(running, signal, graceMs);
  };

  try {
    await start();
  } catch (error) {
    await stopWith("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://${metricsAddress}/metrics`,
    metricsAddress,
    redisUrl: redisPort ? `redis://127.0.0.1:${redisPort}` : undefined,
    port,
    metricsPort,
    redisPort,
    configFiles,
    get pid() {
      return child && !exited(child) ? child.pid : undefined;
    },
    output: () => output,
    start,
    async stop() {
      await stopWith("SIGUSR1");
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => stopWith("SIGKILL"),
  };
}

export interface HaproxyServerState {
  /** The backend (`proxy` label), e.g. mcp-resource-service */
  readonly backend: string;
  /** e.g. replica-1, redis-replica-2 */
  readonly server: string;
  /** HAProxy's state: UP, DOWN, MAINT, DRAIN, NOLB */
  readonly state: string;
}

/** One sample line of the exposition: name, labels, value. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[label[1] as string] = label[2] as string;
    out.push({ labels, value: Number(match[2]) });
  }
  return out;
}

async function exposition(metricsUrl: string): Promise<string> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  return await response.text();
}

/** haproxy_backend_active_servers per backend: servers UP (and not in maintenance). */
export async function backendActiveServers(metricsUrl: string): Promise<Record<string, number>> {
  return Object.fromEntries(
    samples(await exposition(metricsUrl), "haproxy_backend_active_servers").map((s) => [
      s.labels.proxy ?? "",
      s.value,
    ]),
  );
}

/**
 * Every server's current state. HAProxy 2.6 exposes haproxy_server_status once per possible
 * `state` per server, 1 for the current one.
 */
export async function serverStates(metricsUrl: string): Promise<HaproxyServerState[]> {
  return samples(await exposition(metricsUrl), "haproxy_server_status")
    .filter((s) => s.value === 1)
    .map((s) => ({
      backend: s.labels.proxy ?? "",
      server: s.labels.server ?? "",
      state: s.labels.state ?? "",
    }));
}

/** Waits until `backend` has exactly `count` active servers. */
export async function waitForBackend(
  metricsUrl: string,
  backend: string,
  count: number,
  { timeoutMs = 15_000 } = {},
): Promise<void> {
  let last: number | undefined;
  await waitFor(
    `haproxy backend ${backend} with ${count} active server(s)`,
    async () => {
      last = (await backendActiveServers(metricsUrl))[backend];
      return last === count;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last seen: ${last ?? "no such backend"})`);
  });
}

/** Waits until `server` of `backend` is in `state` (default UP). */
export async function waitForServer(
  metricsUrl: string,
  backend: string,
  server: string,
  { state = "UP", timeoutMs = 15_000 } = {},
): Promise<void> {
  let last: string | undefined;
  await waitFor(
    `haproxy server ${backend}/${server} ${state}`,
    async () => {
      last = (await serverStates(metricsUrl)).find(
        (s) => s.backend === backend && s.server === server,
      )?.state;
      return last === state;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last seen: ${last ?? "no such server"})`);
  });
}
