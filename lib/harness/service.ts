/**
 * The service as its own process, the way `npm start` and the image run it: the compiled
 * dist/ (built here once per process) with the telemetry preload, or the sources through tsx
 * when a tool wants them. Used by the native stack and the self-hosted load tests; tests that
 * want the service in-process use test/support/service.ts instead.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../repo.js";
import { type Daemon, startDaemon } from "./daemon.js";
import { getFreePort } from "./ports.js";

/**
 * The memory settings the image ships (service/Dockerfile ENV); benchmarks run the service
 * with them so their figures are the image's. A test keeps the Dockerfile in step.
 */
export const SHIPPED_RUNTIME_ENV = {
  NODE_OPTIONS: "--max-semi-space-size=8",
  MALLOC_ARENA_MAX: "2",
} as const;

const DIST_ENTRY = path.join(REPO_ROOT, "dist/service/src/main.js");
const TRACING_HOOK = path.join(REPO_ROOT, "dist/service/src/telemetry/register.js");
const SOURCE_ENTRY = path.join(REPO_ROOT, "service/src/main.ts");

let built = false;
/** `npm run build` once per process, so every caller runs what `npm start` runs. */
export function buildService(): void {
  if (built) return;
  execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  built = true;
}

export interface ServiceProcessOptions {
  readonly redisUrl: string;
  /** Listen port; a free one when absent or 0. */
  readonly port?: number;
  /** dist/ as shipped (default), or the TypeScript sources through tsx. */
  readonly from?: "dist" | "source";
  /** Run with the image's memory settings (SHIPPED_RUNTIME_ENV). */
  readonly shippedRuntime?: boolean;
  /** More environment (on top of this process's, PORT, HOST and REDIS_URL). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly logFile?: string;
  /**
   * What "started" means: `serving` once /readyz answers 200 (Redis may still be connecting),
   * `cache-ready` once it says "ready" (Redis connected too), which cache benchmarks need.
   */
  readonly until?: "serving" | "cache-ready";
  readonly name?: string;
}

export interface ServiceProcess extends Daemon {
  readonly port: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
}

async function readiness(url: string): Promise<{ status: number; body: { status?: string } } | undefined> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
    return { status: response.status, body: (await response.json()) as { status?: string } };
  } catch {
    return undefined;
  }
}

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const from = options.from ?? "dist";
  if (from === "dist") buildService();
  const entry = from === "dist" ? DIST_ENTRY : SOURCE_ENTRY;
  if (!existsSync(entry)) throw new Error(`service entry not found: ${entry}`);
  const preload = from === "dist" ? ["--import", pathToFileURL(TRACING_HOOK).href] : ["--import", "tsx"];
  const port = options.port || (await getFreePort());
  const url = `http://127.0.0.1:${port}`;
  const until = options.until ?? "serving";
  const daemon = await startDaemon({
    name: options.name ?? "mcp-resource-service",
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), ...preload, entry],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...(options.shippedRuntime ? SHIPPED_RUNTIME_ENV : {}),
      PORT: String(port),
      HOST: "127.0.0.1",
      REDIS_URL: options.redisUrl,
      ...options.env,
    },
    ...(options.logFile ? { logFile: options.logFile } : {}),
    ready: async () => {
      const seen = await readiness(url);
      return seen?.status === 200 && (until === "serving" || seen.body.status === "ready");
    },
  });
  return { ...daemon, port, url };
}
