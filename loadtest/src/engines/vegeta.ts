/**
 * vegeta (Go) for open-model runs: requests go out at a constant rate whatever the server's
 * answers do (k6's constant-arrival-rate), so a slow response cannot hold back the next
 * arrival and the percentiles carry the queueing a real client population would see.
 * `vegeta attack -rate=N -duration=... | vegeta report -type=json`, with targets generated
 * from the workload's request mix (request-mix.ts) in vegeta's JSON target format.
 *
 * The binary is found in .tools/bin (scripts/install/go-tools.sh builds it at VEGETA_VERSION
 * of .env), then on PATH.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findBinary } from "../../../lib/harness/binaries.js";
import { pinned } from "./cpu-split.js";
import { MIX_HEADERS, mixPaths } from "./request-mix.js";

export interface VegetaOptions {
  baseUrl: string;
  /** Requests per second. */
  rate: number;
  durationSeconds: number;
  /** taskset CPU list to run vegeta on (see cpu-split.ts). */
  cpus?: string;
  /** Request paths in order; default: the runbook mix (mixPaths()). */
  paths?: readonly string[];
  /**
   * Upper bound on vegeta's workers, the most requests in flight (k6's maxVUs). Past it an
   * arrival waits for a worker and the achieved rate falls below `rate` (reported).
   */
  maxWorkers?: number;
  timeoutSeconds?: number;
  /** The vegeta binary; default: .tools/bin/vegeta, then PATH. */
  binary?: string;
}

export interface VegetaResult {
  requests: number;
  /** The rate vegeta sent at (should equal the asked rate). */
  rate: number;
  /** Successful responses per second. */
  throughput: number;
  durationSeconds: number;
  /** Latency in ms, from each request's send to the end of its response. */
  latency: { mean: number; p50: number; p90: number; p95: number; p99: number; max: number };
  /** Share of responses with a 2xx/3xx status. */
  success: number;
  statusCodes: Record<string, number>;
  errors: string[];
  failures: number;
}

/** vegeta's JSON target format: one target per line. */
export function vegetaTargets(baseUrl: string, paths: readonly string[]): string {
  const header = Object.fromEntries(Object.entries(MIX_HEADERS).map(([k, v]) => [k, [v]]));
  return `${paths.map((p) => JSON.stringify({ method: "GET", url: `${baseUrl}${p}`, header })).join("\n")}\n`;
}

interface VegetaReport {
  latencies: Record<"mean" | "50th" | "90th" | "95th" | "99th" | "max", number>;
  duration: number;
  wait: number;
  requests: number;
  rate: number;
  throughput: number;
  success: number;
  status_codes: Record<string, number>;
  errors: string[] | null;
}

/** `vegeta report -type=json` output -> figures in ms. */
export function parseVegetaReport(json: string): VegetaResult {
  const r = JSON.parse(json) as VegetaReport;
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  const ok = Object.entries(r.status_codes ?? {})
    .filter(([code]) => code >= "200" && code < "400")
    .reduce((t, [, n]) => t + n, 0);
  return {
    requests: r.requests,
    rate: Math.round(r.rate * 10) / 10,
    throughput: Math.round(r.throughput * 10) / 10,
    durationSeconds: (r.duration + r.wait) / 1e9,
    latency: {
      mean: ms(r.latencies.mean),
      p50: ms(r.latencies["50th"]),
      p90: ms(r.latencies["90th"]),
      p95: ms(r.latencies["95th"]),
      p99: ms(r.latencies["99th"]),
      max: ms(r.latencies.max),
    },
    success: r.success,
    statusCodes: r.status_codes ?? {},
    errors: r.errors ?? [],
    failures: r.requests - ok,
  };
}

export function vegetaBinary(): string {
  return findBinary(["vegeta"]);
}

/** One open-model run: attack piped into report, both on the generator's CPUs. */
export async function runVegeta(options: VegetaOptions): Promise<VegetaResult> {
  const binary = options.binary ?? vegetaBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), "vegeta-"));
  const targets = path.join(dir, "targets.json");
  writeFileSync(targets, vegetaTargets(options.baseUrl, options.paths ?? mixPaths()));
  const attackArgs = [
    "attack",
    "-format=json",
    `-targets=${targets}`,
    `-rate=${options.rate}/1s`,
    `-duration=${options.durationSeconds}s`,
    `-timeout=${options.timeoutSeconds ?? 10}s`,
    `-max-workers=${options.maxWorkers ?? 1_000}`,
  ];
  const [attackCmd, attackArgv] = pinned(options.cpus, binary, attackArgs);
  const [reportCmd, reportArgv] = pinned(options.cpus, binary, ["report", "-type=json"]);
  try {
    return await new Promise<VegetaResult>((resolve, reject) => {
      const attack = spawn(attackCmd, attackArgv, { stdio: ["ignore", "pipe", "pipe"] });
      const report = spawn(reportCmd, reportArgv, { stdio: ["pipe", "pipe", "pipe"] });
      attack.stdout.pipe(report.stdin);
      let stderr = "";
      let stdout = "";
      attack.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      report.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      report.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
      });
      const exit = (child: typeof attack | typeof report) =>
        new Promise<number | null>((done, fail) => {
          child.once("error", fail);
          child.once("close", (code) => done(code));
        });
      Promise.all([exit(attack), exit(report)]).then(([attackCode, reportCode]) => {
        if (attackCode !== 0 || reportCode !== 0) {
          reject(new Error(`vegeta exited with ${attackCode}/${reportCode}: ${stderr.slice(-2_000)}`));
          return;
        }
        try {
          resolve(parseVegetaReport(stdout));
        } catch (error) {
          reject(error);
        }
      }, reject);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
