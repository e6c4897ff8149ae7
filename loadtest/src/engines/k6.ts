/**
 * The k6 engine: runs loadtest/k6/script.ts with the external `k6` binary (users, compose,
 * any machine with k6) and reads back the summary its handleSummary wrote, which has the
 * same shape as the autocannon engine's.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../../lib/repo.js";
import type { RunSummary } from "../workload/summary.js";

export const K6_SCRIPT = "loadtest/k6/script.ts";

/** The k6 binary to use (env K6_BIN or `k6` on PATH), or undefined when there is none. */
export function findK6(): string | undefined {
  const bin = process.env.K6_BIN || "k6";
  const probe = spawnSync(bin, ["version"], { encoding: "utf8" });
  return probe.status === 0 ? bin : undefined;
}

export interface K6RunOptions {
  bin: string;
  baseUrl: string;
  profile: string;
  users?: number;
  spawnRate?: number;
  durationSeconds: number;
  thresholdOverrides?: string;
  gate?: string;
  outDir: string;
  testId: string;
  /** Prometheus remote-write endpoint, e.g. http://127.0.0.1:9090/api/v1/write. */
  prometheusRwUrl?: string;
  /** Share of resource reads sent over POST /mcp (MCP_SHARE in the k6 script). */
  mcpShare?: number;
}

export interface K6RunResult {
  exitCode: number;
  summary: RunSummary | undefined;
  args: string[];
}

/** Runs k6 (output streamed to this process's stdio) and reads its summary.json. */
export async function runK6(opts: K6RunOptions): Promise<K6RunResult> {
  const root = REPO_ROOT;
  const outDir = path.resolve(opts.outDir);
  const args = ["run", "--out", `csv=${path.join(outDir, "k6-metrics.csv")}`];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BASE_URL: opts.baseUrl,
    PROFILE: opts.profile,
    USERS: opts.users === undefined ? "" : String(opts.users),
    SPAWN_RATE: opts.spawnRate === undefined ? "" : String(opts.spawnRate),
    DURATION: `${opts.durationSeconds}s`,
    OUT_DIR: outDir,
    TEST_ID: opts.testId,
    THRESHOLDS: opts.thresholdOverrides ?? "",
    GATE: opts.gate ?? "all",
    // k6's web dashboard, exported as a self-contained HTML file at the end; no listener.
    K6_WEB_DASHBOARD: "true",
    K6_WEB_DASHBOARD_PORT: "-1",
    K6_WEB_DASHBOARD_EXPORT: path.join(outDir, "k6-dashboard.html"),
  };
  if (opts.mcpShare !== undefined) env.MCP_SHARE = String(opts.mcpShare);
  if (opts.prometheusRwUrl) {
    args.push("--out", "experimental-prometheus-rw", "--tag", `testid=${opts.testId}`);
    env.K6_PROMETHEUS_RW_SERVER_URL = opts.prometheusRwUrl;
    env.K6_PROMETHEUS_RW_TREND_STATS = env.K6_PROMETHEUS_RW_TREND_STATS || "p(50),p(95),p(99),min,max,avg";
  }
  args.push(path.join(root, K6_SCRIPT));
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(opts.bin, args, { cwd: root, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const file = path.join(outDir, "summary.json");
  const summary = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RunSummary) : undefined;
  return { exitCode, summary, args };
}
