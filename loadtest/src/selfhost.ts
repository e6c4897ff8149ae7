/**
 * Self-hosting for CI, benchmarks and profiling: a throw-away redis-server and the service
 * (a child Node process running service/src/main.ts through tsx), each on a free loopback
 * port, so the runbook's checks run without a stack. Nothing here touches 6379 or 8000.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { getFreePort } from "../../lib/harness/ports.js";
import { REPO_ROOT } from "../../lib/repo.js";

// One free-port helper for the whole repository (tests, the native stack, load tests).
export { getFreePort };

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Sends one RESP command over a raw socket and returns the first reply line. */
export async function redisCommand(port: number, command: string[], timeoutMs = 2_000): Promise<string> {
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

/** FLUSHALL on a Redis given by URL (loopback only, no auth). */
export async function flushRedis(redisUrl: string): Promise<void> {
  const m = /^redis:\/\/(127\.\d+\.\d+\.\d+|localhost)(?::(\d+))?\/?(\d+)?$/.exec(redisUrl);
  if (!m) throw new Error(`can only flush a loopback redis://HOST:PORT without auth, got ${redisUrl}`);
  const reply = await redisCommand(Number(m[2] ?? 6379), ["FLUSHALL"]);
  if (reply !== "+OK") throw new Error(`FLUSHALL failed: ${reply}`);
}

async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`${what}: process exited with code ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function isReady(baseUrl: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess | undefined, timeoutMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The runtime settings service/Dockerfile ships (ENV): a young generation capped at 2 x 8 MiB
 * semi-spaces and two glibc malloc arenas keep the stress profile's RSS under 200 MB at no
 * measured throughput cost (docs/benchmarks/). A test keeps the Dockerfile in step.
 */
export const SHIPPED_RUNTIME_ENV = {
  NODE_OPTIONS: "--max-semi-space-size=8",
  MALLOC_ARENA_MAX: "2",
} as const;

export interface SelfHostOptions {
  /**
   * Run the compiled service as the image does (`npm run build` first, then
   * dist/ with the telemetry preload and SHIPPED_RUNTIME_ENV) instead of the sources via tsx.
   */
  asShipped?: boolean;
  /** Extra arguments for the service's node process (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Extra environment for the service. */
  env?: Record<string, string>;
  /** Where the service's and Redis's output goes (files), default: discarded. */
  logDir?: string;
  log?: (line: string) => void;
}

export interface SelfHostedStack {
  readonly baseUrl: string;
  readonly redisUrl: string;
  readonly redisPort: number;
  readonly servicePort: number;
  readonly service: ChildProcess;
  readonly redisVersion: string;
  stop(): Promise<void>;
}

function redisVersion(): string {
  try {
    const out = execFileSync("redis-server", ["--version"], { encoding: "utf8" });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return "unknown";
  }
}

/** Starts redis-server and the service on free loopback ports and waits until ready. */
export async function startSelfHostedStack(opts: SelfHostOptions = {}): Promise<SelfHostedStack> {
  const log = opts.log ?? (() => {});
  const root = REPO_ROOT;
  const version = redisVersion();
  if (version === "unknown") {
    throw new Error("redis-server is not installed: run `npm run deps` (or `task deps`) first");
  }
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  const sink = (name: string) =>
    opts.logDir ? createWriteStream(path.join(opts.logDir, name), { flags: "a" }) : undefined;

  const redisPort = await getFreePort();
  const redis = spawn(
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const redisLog = sink("redis.log");
  if (redisLog) {
    redis.stdout?.pipe(redisLog);
    redis.stderr?.pipe(redisLog);
  } else {
    redis.stdout?.resume();
    redis.stderr?.resume();
  }
  let service: ChildProcess | undefined;
  const stop = async () => {
    await stopChild(service);
    await stopChild(redis, 5_000);
  };
  try {
    await waitUntil(
      `redis-server on 127.0.0.1:${redisPort}`,
      async () => (await redisCommand(redisPort, ["PING"], 500)) === "+PONG",
      10_000,
      redis,
    );
    log(`self-host: redis-server ${version} on 127.0.0.1:${redisPort}`);

    const servicePort = await getFreePort();
    if (opts.asShipped) {
      log("self-host: building the service (npm run build) to run it as the image does");
      execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
    }
    const entry = opts.asShipped
      ? path.join(root, "dist", "service", "src", "main.js")
      : path.join(root, "service", "src", "main.ts");
    if (!existsSync(entry)) throw new Error(`service entry not found: ${entry}`);
    const preload = opts.asShipped
      ? [
          "--import",
          pathToFileURL(path.join(root, "dist", "service", "src", "telemetry", "register.js")).href,
        ]
      : ["--import", "tsx"];
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    service = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...preload, entry], {
      cwd: root,
      env: {
        ...process.env,
        ...(opts.asShipped ? SHIPPED_RUNTIME_ENV : {}),
        PORT: String(servicePort),
        HOST: "127.0.0.1",
        REDIS_URL: redisUrl,
        LOG_LEVEL: process.env.SELF_HOST_LOG_LEVEL ?? "warn",
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const serviceLog = sink("service.log");
    if (serviceLog) {
      service.stdout?.pipe(serviceLog);
      service.stderr?.pipe(serviceLog);
    } else {
      service.stdout?.resume();
      service.stderr?.pipe(process.stderr);
    }
    const baseUrl = `http://127.0.0.1:${servicePort}`;
    const svc = service;
    await waitUntil(
      `the service on ${baseUrl}`,
      async () => {
        const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
        const body = (await res.json()) as { status?: string };
        // "ready" means Redis is connected too (not "degraded"): a cache-aside benchmark needs it.
        return res.status === 200 && body.status === "ready";
      },
      30_000,
      svc,
    );
    log(`self-host: service (pid ${svc.pid}) on ${baseUrl}`);
    return { baseUrl, redisUrl, redisPort, servicePort, service: svc, redisVersion: version, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
