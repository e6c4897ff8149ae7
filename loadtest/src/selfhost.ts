/**
 * Self-hosting for CI, benchmarks and profiling: a throw-away redis-server and the service
 * as its own process (lib/harness), each on a free loopback port, so the runbook's checks run
 * without a stack. Nothing here touches 6379 or 8000.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { getFreePort } from "../../lib/harness/ports.js";
import { redisCommand, startRedis } from "../../lib/harness/redis.js";
import { type ServiceProcess, startServiceProcess } from "../../lib/harness/service.js";

// One free-port helper and one raw Redis command for the whole repository.
export { getFreePort, redisCommand };

/** FLUSHALL on a Redis given by URL (loopback only, no auth). */
export async function flushRedis(redisUrl: string): Promise<void> {
  const m = /^redis:\/\/(127\.\d+\.\d+\.\d+|localhost)(?::(\d+))?\/?(\d+)?$/.exec(redisUrl);
  if (!m) throw new Error(`can only flush a loopback redis://HOST:PORT without auth, got ${redisUrl}`);
  const reply = await redisCommand(Number(m[2] ?? 6379), ["FLUSHALL"]);
  if (reply !== "+OK") throw new Error(`FLUSHALL failed: ${reply}`);
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
  /** redis-server's pid (perf:compare pins it next to the service). */
  readonly redisPid: number | undefined;
  readonly servicePort: number;
  readonly service: ServiceProcess;
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
  const version = redisVersion();
  if (version === "unknown") {
    throw new Error("redis-server is not installed: run `npm run deps` (or `task deps`) first");
  }
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });

  const redis = await startRedis(opts.logDir ? { logFile: path.join(opts.logDir, "redis.log") } : {});
  let service: ServiceProcess | undefined;
  const stop = async () => {
    // Room to write a --cpu-prof profile on the way out.
    await service?.stop(15_000);
    await redis.stop();
  };
  try {
    log(`self-host: redis-server ${version} on 127.0.0.1:${redis.port}`);
    if (opts.asShipped) log("self-host: building the service (npm run build) to run it as the image does");
    service = await startServiceProcess({
      redisUrl: redis.url,
      from: opts.asShipped ? "dist" : "source",
      shippedRuntime: opts.asShipped ?? false,
      ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
      env: { LOG_LEVEL: process.env.SELF_HOST_LOG_LEVEL ?? "warn", ...opts.env },
      ...(opts.logDir ? { logFile: path.join(opts.logDir, "service.log") } : {}),
      // A cache-aside benchmark needs Redis connected, not just the service answering.
      until: "cache-ready",
    });
    log(`self-host: service (pid ${service.pid}) on ${service.url}`);
    return {
      baseUrl: service.url,
      redisUrl: redis.url,
      redisPort: redis.port,
      redisPid: redis.pid,
      servicePort: service.port,
      service,
      redisVersion: version,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
