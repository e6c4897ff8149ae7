/**
 * perf:benchmark - the runbook's benchmark suite: a cold-cache run (Redis FLUSHALL first),
 * a warmup, and a warm run, each measured by the autocannon engine, with the server's own
 * cache hit ratio read from /metrics around each phase. Writes the runbook's "Baseline
 * Performance" tables, filled in, to docs/benchmarks/baseline-<date>.md.
 *
 *   tsx loadtest/src/benchmark/benchmark.ts [--cold-duration 60s] [--warmup-duration 30s]
 *       [--warm-duration 5m] [--out DIR] [--report FILE]
 *       [--base-url URL --redis-url URL]   (benchmark a running stack instead of self-hosting)
 *   tsx loadtest/src/benchmark/benchmark.ts --render-from perf-results/benchmark-<time>/benchmark.json
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseCliDuration } from "../../../lib/contract/duration.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { parseBaseUrl } from "../../../lib/workload/load-target.js";
import { runLoad } from "../cli.js";
import { flushRedis, isReady, type SelfHostedStack, startSelfHostedStack } from "../selfhost.js";
import { hitRatioBetween, scrapeCacheCounters } from "../service-metrics.js";
import { getProfile, type Profile } from "../workload/profiles.js";
import {
  describeEnvironment,
  type Environment,
  type PhaseResult,
  pct,
  renderBaselineMarkdown,
} from "./baseline-report.js";

const round2 = (v: number) => Math.round(v * 100) / 100;

/** benchmark.json in the raw results directory: everything the report is rendered from. */
export interface SavedBenchmark {
  startedAt?: string;
  env: Environment;
  phases: PhaseResult[];
}

/** Renders the report again from a saved benchmark.json (e.g. after a template change). */
export function renderFromSaved(file: string): string {
  const saved = JSON.parse(readFileSync(file, "utf8")) as SavedBenchmark;
  const startedAt = new Date(saved.startedAt ?? saved.phases[0]?.summary.startedAt ?? Date.now());
  return renderBaselineMarkdown(saved.env, saved.phases, startedAt, path.dirname(path.resolve(file)));
}

export interface BenchmarkOptions {
  coldSeconds: number;
  warmupSeconds: number;
  warmSeconds: number;
  outDir: string;
  reportFile: string;
  baseUrl?: string;
  redisUrl?: string;
  quiet?: boolean;
}

export async function runBenchmark(
  opts: BenchmarkOptions,
): Promise<{ report: string; phases: PhaseResult[] }> {
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  let stack: SelfHostedStack | undefined;
  let baseUrl: string;
  let redisUrl: string;
  let redis = "unknown";
  if (opts.baseUrl) {
    baseUrl = parseBaseUrl(opts.baseUrl).origin;
    redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
    if (!(await isReady(baseUrl))) throw new Error(`no ready service at ${baseUrl}`);
    try {
      redis =
        execFileSync("redis-server", ["--version"], { encoding: "utf8" }).match(/v=(\S+)/)?.[1] ?? redis;
    } catch {
      // keep unknown
    }
  } else {
    stack = await startSelfHostedStack({ logDir: path.join(opts.outDir, "logs"), log });
    baseUrl = stack.baseUrl;
    redisUrl = stack.redisUrl;
    redis = stack.redisVersion;
  }
  const phases: PhaseResult[] = [];
  const loadAverage = os.loadavg();
  const startedAt = new Date();
  try {
    const plan: Array<{ name: PhaseResult["name"]; profile: Profile; seconds: number }> = [
      { name: "cold", profile: getProfile("full"), seconds: opts.coldSeconds },
      { name: "warmup", profile: getProfile("warmup"), seconds: opts.warmupSeconds },
      { name: "warm", profile: getProfile("full"), seconds: opts.warmSeconds },
    ];
    for (const step of plan) {
      if (step.name === "cold") {
        await flushRedis(redisUrl);
        log(`benchmark: FLUSHALL on ${redisUrl}`);
      }
      const loadStart = os.loadavg()[0] ?? 0;
      const before = await scrapeCacheCounters(baseUrl);
      const summary = await runLoad({
        profile: step.profile,
        engine: "autocannon",
        baseUrl,
        durationSeconds: step.seconds,
        thresholdOverrides: "",
        gate: "all",
        outDir: path.join(opts.outDir, step.name),
        testId: `benchmark-${step.name}-${Date.now()}`,
        quiet: opts.quiet ?? false,
      });
      const after = await scrapeCacheCounters(baseUrl);
      const hitRatios = hitRatioBetween(before, after);
      const loadAverage = { start: round2(loadStart), end: round2(os.loadavg()[0] ?? 0) };
      phases.push({
        loadAverage,
        name: step.name,
        profile: step.profile,
        durationSeconds: step.seconds,
        summary,
        hitRatios,
      });
      log(
        `benchmark: ${step.name}: ${summary.overall.requests} requests, ${summary.overall.rps} req/s, ` +
          `p95 ${summary.overall.p95} ms, server hit rate ${pct(hitRatios.combined.ratio)}`,
      );
    }
  } finally {
    await stack?.stop();
  }
  const env = describeEnvironment(redis, baseUrl, stack !== undefined, loadAverage);
  const report = renderBaselineMarkdown(env, phases, startedAt, opts.outDir);
  mkdirSync(path.dirname(opts.reportFile), { recursive: true });
  writeFileSync(opts.reportFile, report);
  const raw: SavedBenchmark = { startedAt: startedAt.toISOString(), env, phases };
  writeFileSync(path.join(opts.outDir, "benchmark.json"), `${JSON.stringify(raw, null, 2)}\n`);
  return { report, phases };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "cold-duration": { type: "string" },
      "warmup-duration": { type: "string" },
      "warm-duration": { type: "string" },
      out: { type: "string" },
      report: { type: "string" },
      "base-url": { type: "string" },
      "redis-url": { type: "string" },
      quiet: { type: "boolean" },
      "render-from": { type: "string" },
    },
  });
  const env = process.env;
  if (values["render-from"]) {
    const saved = path.resolve(values["render-from"]);
    const report = renderFromSaved(saved);
    const day = (/^# Baseline Performance - (\S+)/.exec(report) as RegExpExecArray)[1];
    const file = path.resolve(
      values.report ?? path.join(REPO_ROOT, "docs", "benchmarks", `baseline-${day}.md`),
    );
    writeFileSync(file, report);
    process.stdout.write(`baseline report: ${file} (rendered from ${saved})\n`);
    return 0;
  }
  const now = new Date();
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const day = now.toISOString().slice(0, 10);
  const root = REPO_ROOT;
  const outDir = path.resolve(values.out ?? path.join(root, "perf-results", `benchmark-${stamp}`));
  const reportFile = path.resolve(
    values.report ?? path.join(root, "docs", "benchmarks", `baseline-${day}.md`),
  );
  const { phases } = await runBenchmark({
    coldSeconds: parseCliDuration(values["cold-duration"] ?? env.BENCH_COLD_DURATION ?? "60s") / 1_000,
    warmupSeconds: parseCliDuration(values["warmup-duration"] ?? env.BENCH_WARMUP_DURATION ?? "30s") / 1_000,
    warmSeconds: parseCliDuration(values["warm-duration"] ?? env.BENCH_WARM_DURATION ?? "5m") / 1_000,
    outDir,
    reportFile,
    ...(values["base-url"] ? { baseUrl: values["base-url"] } : {}),
    ...(values["redis-url"] ? { redisUrl: values["redis-url"] } : {}),
    quiet: values.quiet ?? false,
  });
  process.stdout.write(`baseline report: ${reportFile}\nraw results:     ${outDir}\n`);
  for (const p of phases) {
    process.stdout.write(
      `  ${p.name.padEnd(6)} ${String(p.summary.overall.requests).padStart(8)} requests  ${p.summary.overall.rps.toFixed(1).padStart(8)} req/s  ` +
        `p50 ${p.summary.overall.p50} ms  p95 ${p.summary.overall.p95} ms  p99 ${p.summary.overall.p99} ms  ` +
        `hit rate ${pct(p.hitRatios.combined.ratio)}\n`,
    );
  }
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`perf:benchmark: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
