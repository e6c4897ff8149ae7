/**
 * perf:compare - how close the service comes to what Express (and node:http) can do on this
 * machine with the same workload: (a) the service with a real Redis, self-hosted, as shipped;
 * (b) a minimal Express 5 app and (c) a bare node:http server, both returning the bytes
 * captured from (a) from memory. Each run measures all three back to back: closed loop with
 * wrk at each connection count, open model with vegeta at each rate. Then (a) alone: cold
 * cache, the stress profile's users (memory), and Redis stopped. Servers run on CPU 0 and the
 * generators on CPU 1 where the machine allows (cpu-split.ts). Writes
 * docs/benchmarks/compare-<date>.md and prints it.
 *
 *   tsx loadtest/src/compare/compare.ts [--duration 10s] [--runs 3] [--rates 1000,3000]
 *       [--connections 10,100] [--stress-users 500] [--out-dir docs/benchmarks]
 *       [--results-dir perf-results/compare-<time>]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseCliDuration } from "../../../lib/contract/duration.js";
import { SHIPPED_RUNTIME_ENV } from "../../../lib/harness/service.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { type CpuSplit, describeCpuSplit, detectCpuSplit } from "../engines/cpu-split.js";
import { vegetaBinary } from "../engines/vegeta.js";
import { redisCommand, startSelfHostedStack } from "../selfhost.js";
import { round } from "../workload/numbers.js";
import {
  type CompareResult,
  type CompareRun,
  type Machine,
  renderReport,
  type StressFigures,
  TARGETS,
  type Target,
  type TargetRun,
} from "./report.js";
import {
  captureResponses,
  closedLoop,
  eventLoopDelay,
  openModel,
  pinServer,
  type RunFigures,
  residentMemory,
  startBaseline,
} from "./runs.js";

export interface CompareOptions {
  durationSeconds: number;
  runs: number;
  rates: number[];
  connections: number[];
  stressUsers: number;
  outDir: string;
  resultsDir: string;
  log: (line: string) => void;
}

function versionOf(command: string, args: string[], pattern: RegExp): string {
  try {
    // wrk -v prints its version and exits 1.
    const out = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return pattern.exec(out)?.[1] ?? out.trim();
  } catch (error) {
    const out = String((error as { stdout?: string }).stdout ?? "");
    return pattern.exec(out)?.[1] ?? "unknown";
  }
}

function machine(redis: string): Machine {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? osName;
  } catch {
    // not Linux: keep os.type()
  }
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    os: osName,
    node: process.version,
    redis,
    wrk: versionOf("wrk", ["-v"], /^(wrk \S+)/m),
    vegeta: versionOf(vegetaBinary(), ["-version"], /Version:\s*(\S+)/),
    loadAverage: os.loadavg().map((v) => round(v, 2)),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 1_000));

/** Polls /readyz until the service reports it lost Redis (it stays up, "degraded"). */
async function waitDegraded(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const body = (await fetch(`${baseUrl}/readyz`)
      .then((r) => r.json())
      .catch(() => ({}))) as { status?: string };
    if (body.status === "degraded") return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the service did not report degraded within 20 s of Redis stopping");
}

/** The image's runtime settings as the report states them: NODE_OPTIONS=... and MALLOC_ARENA_MAX=... */
const shippedRuntime = Object.entries(SHIPPED_RUNTIME_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(" and ");

function notes(r: Omit<CompareResult, "notes">): string[] {
  const out = [
    `CPU split: ${r.cpuSplit}. The machine's load average is in the Machine section: other work on it moves ` +
      "absolute figures between runs, which is why every ratio compares targets measured in the same run.",
    "(a) runs as the image runs it: compiled (`npm run build`), `node --import dist/.../telemetry/register.js " +
      `dist/service/src/main.js\` with the image's ${shippedRuntime}; ` +
      "metrics, pino logging (LOG_LEVEL=warn) and the in-process tier on, tracing off (no OTLP endpoint set, " +
      "the shipped default).",
    "(b) and (c) return the captured bytes with the service's Content-Type/ETag/Cache-Control; (b) uses " +
      "Express defaults otherwise (x-powered-by, query parser, res.send). Every captured response was checked " +
      "against the workload's contract checks; wrk and vegeta count a status >= 400, a timeout or a socket " +
      "error as a failure.",
    "Closed loop: wrk, one thread, the runbook mix as a generated Lua script (loadtest/src/engines/wrk.ts); " +
      "latency from a request's write to its response's end. Open model: vegeta attack at a constant rate " +
      "(at most 1,000 workers), targets from the same mix (loadtest/src/engines/vegeta.ts).",
    "Each target gets an unrecorded closed-loop warm-up before the first run.",
    "Server CPU µs/req is the server process's user + system time (every thread, /proc) per completed " +
      "request: the figure least moved by other work on the machine. Server CPU share is the part of one " +
      "CPU it got during the phase; a closed loop is saturated, so a share well below 1 means something " +
      "else ran on the server's CPU and the req/s of that phase says more about the machine than the server. " +
      "Others on its CPU is that directly: the share of the server's CPU (with a split) busy with anything " +
      "but the server process during the phase (Redis, other tenants, VM steal).",
  ];
  for (const [i, run] of r.runs.entries()) {
    for (const t of TARGETS) {
      for (const [rate, f] of Object.entries(run.targets[t].open)) {
        if ((f.achieved ?? 0) < Number(rate) * 0.95)
          out.push(
            `Run ${i + 1}: ${t} answered ${f.achieved} of ${rate} req/s successfully (saturated, or failures).`,
          );
      }
    }
  }
  return out;
}

async function measureTarget(
  baseUrl: string,
  pid: number | undefined,
  opts: CompareOptions,
  split: CpuSplit | undefined,
  label: Target,
): Promise<TargetRun> {
  const secs = opts.durationSeconds;
  const closed: Record<string, RunFigures> = {};
  const open: Record<string, RunFigures> = {};
  // The service's own event-loop delay around each phase (the baselines have no /metrics).
  const withLoopDelay = async (run: () => Promise<RunFigures>): Promise<RunFigures> => {
    if (label !== "a") return run();
    await eventLoopDelay(baseUrl);
    const figures = await run();
    const loopDelay = await eventLoopDelay(baseUrl);
    return loopDelay ? { ...figures, loopDelay } : figures;
  };
  for (const c of opts.connections) {
    await settle();
    closed[String(c)] = await withLoopDelay(() => closedLoop(baseUrl, secs, c, split, pid));
    const f = closed[String(c)] as RunFigures;
    opts.log(
      `  ${label} closed ${c}: ${f.rps} req/s, p99 ${f.p99} ms, failures ${f.failures}, server CPU ${f.cpu?.perRequestUs ?? "?"} µs/req (share ${f.cpu?.share ?? "?"})`,
    );
  }
  for (const rate of opts.rates) {
    await settle();
    open[String(rate)] = await withLoopDelay(() => openModel(baseUrl, rate, secs, split, pid));
    const f = open[String(rate)] as RunFigures;
    opts.log(`  ${label} open ${rate}/s: p50 ${f.p50} p99 ${f.p99} max ${f.max} ms, achieved ${f.achieved}`);
  }
  return { closed, open, memory: pid === undefined ? undefined : residentMemory(pid) };
}

export async function runCompare(opts: CompareOptions): Promise<{ result: CompareResult; report: string }> {
  const { log, durationSeconds: secs } = opts;
  mkdirSync(opts.resultsDir, { recursive: true });
  const captured = path.join(opts.resultsDir, "captured.json");
  const split = detectCpuSplit();
  const cpuSplit = describeCpuSplit(split);
  log(`CPU split: ${cpuSplit}`);
  const stack = await startSelfHostedStack({
    logDir: path.join(opts.resultsDir, "logs"),
    log,
    asShipped: true,
  });
  const servers: Array<{ stop(): Promise<void> }> = [stack];
  try {
    pinServer(stack.service.pid, split);
    pinServer(stack.redisPid, split);
    const m = machine(stack.redisVersion);
    const urls = await captureResponses(stack.baseUrl, captured);
    log(`captured and checked ${urls} responses (cache warm)`);
    const express = await startBaseline("express", captured);
    servers.push(express);
    const bare = await startBaseline("http", captured);
    servers.push(bare);
    pinServer(express.pid, split);
    pinServer(bare.pid, split);
    const target: Record<Target, { baseUrl: string; pid: number | undefined }> = {
      a: { baseUrl: stack.baseUrl, pid: stack.service.pid },
      b: express,
      c: bare,
    };
    const warmSecs = Math.max(1, Math.min(5, Math.round(secs / 4)));
    for (const t of TARGETS)
      await closedLoop(target[t].baseUrl, warmSecs, Math.max(...opts.connections), split);

    const runs: CompareRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      // Rotated so that no target always runs first (or last) in a run.
      const order = TARGETS.map((_, k) => TARGETS[(k + i) % TARGETS.length] as Target);
      log(`run ${i + 1} of ${opts.runs} (${order.join(", ")})`);
      const targets = {} as Record<Target, TargetRun>;
      for (const t of order)
        targets[t] = await measureTarget(target[t].baseUrl, target[t].pid, opts, split, t);
      runs.push({ order, targets });
    }

    // Cold cache: FLUSHALL empties Redis and, through its tracking invalidation, every
    // in-process tier, just before the attack starts.
    const [firstRate = 1_000] = opts.rates;
    await settle();
    await redisCommand(stack.redisPort, ["FLUSHALL"]);
    const cold = await openModel(stack.baseUrl, firstRate, secs, split, stack.service.pid);
    log(`a cold cache, ${firstRate}/s: p95 ${cold.p95} ms, p99 ${cold.p99} ms`);

    await settle();
    const pid = stack.service.pid ?? 0;
    const memoryBefore = residentMemory(pid);
    const stressRun = await closedLoop(stack.baseUrl, secs, opts.stressUsers, split, pid);
    const stress: StressFigures = {
      ...stressRun,
      users: opts.stressUsers,
      memoryBefore,
      memoryAfter: residentMemory(pid),
    };
    log(`a stress ${stress.users}: ${stress.rps} req/s, peak RSS ${stress.memoryAfter?.peakMiB ?? "?"} MiB`);

    // SHUTDOWN closes the connection instead of replying, so the rejection is the success.
    await redisCommand(stack.redisPort, ["SHUTDOWN", "NOSAVE"]).catch(() => "");
    await waitDegraded(stack.baseUrl);
    await closedLoop(stack.baseUrl, warmSecs, Math.max(...opts.connections), split);
    await settle();
    const degraded = await closedLoop(stack.baseUrl, secs, Math.max(...opts.connections), split, pid);
    log(`a degraded: ${degraded.rps} req/s, ${degraded.failures} failures`);

    const date = new Date().toISOString().slice(0, 10);
    const partial = {
      date,
      durationSeconds: secs,
      connections: opts.connections,
      rates: opts.rates,
      urls,
      machine: m,
      cpuSplit,
      runs,
      cold,
      stress,
      degraded,
    };
    const result: CompareResult = { ...partial, notes: notes(partial) };
    const report = renderReport(result);
    mkdirSync(opts.outDir, { recursive: true });
    writeFileSync(path.join(opts.outDir, `compare-${date}.md`), report);
    writeFileSync(path.join(opts.resultsDir, "compare.json"), `${JSON.stringify(result, null, 2)}\n`);
    return { result, report };
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

function numberList(name: string, value: string): number[] {
  const list = value.split(",").map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !(Number.isInteger(v) && v > 0)))
    throw new Error(`--${name} must be a comma-separated list of positive integers, got ${value}`);
  return list;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10s" },
      runs: { type: "string", default: "3" },
      rates: { type: "string", default: "1000,3000" },
      connections: { type: "string", default: "10,100" },
      "stress-users": { type: "string", default: "500" },
      "out-dir": { type: "string" },
      "results-dir": { type: "string" },
    },
  });
  const [runs] = numberList("runs", values.runs);
  const [stressUsers] = numberList("stress-users", values["stress-users"]);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const root = REPO_ROOT;
  const { report } = await runCompare({
    durationSeconds: parseCliDuration(values.duration) / 1_000,
    runs: runs as number,
    rates: numberList("rates", values.rates),
    connections: numberList("connections", values.connections),
    stressUsers: stressUsers as number,
    outDir: values["out-dir"] ?? path.join(root, "docs", "benchmarks"),
    resultsDir: values["results-dir"] ?? path.join(root, "perf-results", `compare-${stamp}`),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(report);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`perf:compare: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
