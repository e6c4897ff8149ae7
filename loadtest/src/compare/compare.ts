/**
 * perf:compare - how close the service comes to what Express (and node:http) can do on this
 * machine with the same workload: (a) the service with a real Redis, self-hosted, as shipped;
 * (b) a minimal Express 5 app and (c) a bare node:http server, both returning the bytes
 * captured from (a) from memory. Closed loop and fixed arrival rate for each, then (a) again
 * with Redis stopped. Writes docs/benchmarks/compare-<date>.md.
 *
 *   tsx loadtest/src/compare/compare.ts [--duration 30s] [--rate 1000] [--engine autocannon]
 *       [--out-dir docs/benchmarks] [--results-dir perf-results/compare-<time>]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseCliDuration } from "../../../lib/contract/duration.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { redisCommand, startSelfHostedStack } from "../selfhost.js";
import { round } from "../workload/numbers.js";
import {
  type CompareResult,
  type Machine,
  ratio,
  renderReport,
  type StressFigures,
  type Target,
} from "./report.js";
import {
  type Baseline,
  CONNECTIONS,
  captureResponses,
  closedLoop,
  fixedRate,
  fixedRateWarmupSeconds,
  type RunFigures,
  residentMemory,
  STRESS_PROFILE,
  startBaseline,
} from "./runs.js";

export interface CompareOptions {
  durationSeconds: number;
  rate: number;
  outDir: string;
  resultsDir: string;
  log: (line: string) => void;
}

function machine(redis: string): Machine {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? osName;
  } catch {
    // not Linux: keep os.type()
  }
  let autocannonVersion = "unknown";
  try {
    const pkg = path.join(REPO_ROOT, "node_modules", "autocannon", "package.json");
    autocannonVersion = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    // left as unknown
  }
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    os: osName,
    node: process.version,
    redis,
    autocannon: autocannonVersion,
    loadAverage: os.loadavg().map((v) => round(v, 2)),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 1_000));

/** An unrecorded closed-loop run first, so every target is measured with its JIT warm. */
async function warmUp(baseUrl: string, secs: number): Promise<void> {
  await closedLoop(baseUrl, Math.max(1, Math.min(5, Math.round(secs / 4))), "compare-warmup");
}

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

function notes(r: Omit<CompareResult, "notes">): string[] {
  const out = [
    `The load generator shares the machine's ${r.machine.cpus} CPUs with the server under test; on a 2-core box the ` +
      "figures are a ceiling for this setup, not for the service, and other work on the machine (see load " +
      "averages) moves them by several percent between runs.",
    "(a) runs as the image runs it: compiled (`npm run build`), `node --import dist/.../telemetry/register.js " +
      "dist/service/src/main.js` with the image's NODE_OPTIONS=--max-semi-space-size=8 and MALLOC_ARENA_MAX=2; " +
      "metrics, pino logging (LOG_LEVEL=warn) and the in-process tier on, tracing off (no OTLP endpoint set, " +
      "the shipped default).",
    "(b) and (c) return the captured bytes with the service's Content-Type/ETag/Cache-Control; (b) uses " +
      "Express defaults otherwise (x-powered-by, query parser, res.send). Every response in every run is " +
      "checked against the contract by the workload's checks.",
    "Each target gets an unrecorded closed-loop warm-up (duration/4, 1-5 s) before it is measured.",
    "Fixed rate is an open model (loadtest/src/arrival-rate.ts, k6 constant-arrival-rate semantics): " +
      "arrivals evenly spaced, at most 100 in flight, an arrival finding all connections busy is dropped and " +
      "counted as a failure. Latency runs from each request's send to the end of its body. Each fixed-rate " +
      `run first sends ${fixedRateWarmupSeconds(r.durationSeconds)} s at the rate unrecorded (the generator's JIT ` +
      "and connections); the cold-cache run sends FLUSHALL as recording starts.",
  ];
  for (const t of ["a", "b", "c"] as Target[]) {
    const lag = r.fixed[t].sendLagP99;
    if (lag !== undefined && lag > 2)
      out.push(
        `Fixed rate: the generator sent ${t}'s requests up to ${lag} ms late (p99), a sign the shared CPUs were busy.`,
      );
  }
  for (const t of ["a", "b", "c"] as Target[]) {
    const f = r.fixed[t];
    if (f.rps < r.rate * 0.95)
      out.push(
        `Fixed rate: ${t} achieved only ${f.rps} of ${r.rate} req/s (saturated or load generator bound).`,
      );
  }
  const ab = ratio(r.closed.a.rps, r.closed.b.rps);
  const dn = ratio(r.degraded.rps, r.closed.a.rps);
  const peak = r.stress.memoryAfter?.peakMiB;
  const verdict = (ok: boolean) => (ok ? "met" : "missed");
  out.push(
    `Goals (docs/benchmarks/performance.md): a/b >= 0.8 → ${ab} (${verdict(ab >= 0.8)}); p99 < 10 ms at ${r.rate} req/s → ` +
      `${r.fixed.a.p99} ms (${verdict(r.fixed.a.p99 < 10)}); cold-cache p95 < 20 ms → ${r.cold.p95} ms ` +
      `(${verdict(r.cold.p95 < 20)}); Redis down: 0 failed → ` +
      `${r.degraded.failures} (${verdict(r.degraded.failures === 0)}), >= 0.7 of normal → ${dn} ` +
      `(${verdict(dn >= 0.7)}); RSS < 200 MB at ${r.stress.users} users → ` +
      `${peak === undefined ? "not measured (no /proc)" : `${peak} MiB peak (${verdict(peak * 1.048576 < 200)})`}.`,
  );
  return out;
}

export async function runCompare(opts: CompareOptions): Promise<{ result: CompareResult; report: string }> {
  const { log, durationSeconds: secs, rate } = opts;
  mkdirSync(opts.resultsDir, { recursive: true });
  const captured = path.join(opts.resultsDir, "captured.json");
  const stack = await startSelfHostedStack({
    logDir: path.join(opts.resultsDir, "logs"),
    log,
    asShipped: true,
  });
  const m = machine(stack.redisVersion);
  let closedA: RunFigures;
  let fixedA: RunFigures;
  let coldA: RunFigures;
  let stress: StressFigures;
  let degraded: RunFigures;
  let urls: number;
  try {
    urls = await captureResponses(stack.baseUrl, captured);
    log(`captured ${urls} responses (cache warm)`);
    await warmUp(stack.baseUrl, secs);
    closedA = await closedLoop(stack.baseUrl, secs, "compare-a");
    log(`a closed: ${closedA.rps} req/s p99 ${closedA.p99} ms`);
    await settle();
    fixedA = await fixedRate(stack.baseUrl, rate, secs);
    log(`a fixed ${rate}/s: p99 ${fixedA.p99} ms`);
    // Cold cache: FLUSHALL empties Redis and, through its tracking invalidation, every
    // in-process tier, sent as recording starts (after the generator's own warm-up).
    await settle();
    coldA = await fixedRate(stack.baseUrl, rate, secs, () => {
      redisCommand(stack.redisPort, ["FLUSHALL"]).catch((error: unknown) => log(`FLUSHALL failed: ${error}`));
    });
    log(`a cold cache, fixed ${rate}/s: p95 ${coldA.p95} ms, p99 ${coldA.p99} ms`);
    // Memory under the stress profile's 500 users (closed loop, all at once).
    await settle();
    const pid = stack.service.pid ?? 0;
    const memoryBefore = residentMemory(pid);
    const stressRun = await closedLoop(stack.baseUrl, secs, "compare-a-stress", STRESS_PROFILE);
    stress = { ...stressRun, memoryBefore, memoryAfter: residentMemory(pid), users: STRESS_PROFILE.users };
    log(
      `a stress ${stress.users} users: ${stress.rps} req/s, peak RSS ${stress.memoryAfter?.peakMiB ?? "?"} MiB`,
    );
    // SHUTDOWN closes the connection instead of replying, so the rejection is the success.
    await redisCommand(stack.redisPort, ["SHUTDOWN", "NOSAVE"]).catch(() => "");
    await waitDegraded(stack.baseUrl);
    await warmUp(stack.baseUrl, secs);
    degraded = await closedLoop(stack.baseUrl, secs, "compare-a-degraded");
    log(`a degraded: ${degraded.rps} req/s, ${degraded.failures} failures`);
  } finally {
    await stack.stop();
  }
  const baseline = async (kind: "express" | "http") => {
    await settle();
    const server: Baseline = await startBaseline(kind, captured);
    try {
      await warmUp(server.baseUrl, secs);
      const closed = await closedLoop(server.baseUrl, secs, `compare-${kind}`);
      await settle();
      const fixed = await fixedRate(server.baseUrl, rate, secs);
      log(`${kind}: ${closed.rps} req/s p99 ${closed.p99} ms; fixed p99 ${fixed.p99} ms`);
      return { closed, fixed };
    } finally {
      await server.stop();
    }
  };
  const b = await baseline("express");
  const c = await baseline("http");
  const date = new Date().toISOString().slice(0, 10);
  const partial = {
    date,
    durationSeconds: secs,
    rate,
    connections: CONNECTIONS,
    urls,
    machine: m,
    closed: { a: closedA, b: b.closed, c: c.closed },
    fixed: { a: fixedA, b: b.fixed, c: c.fixed },
    cold: coldA,
    stress,
    degraded,
  };
  const result: CompareResult = { ...partial, notes: notes(partial) };
  const report = renderReport(result);
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(path.join(opts.outDir, `compare-${date}.md`), report);
  writeFileSync(path.join(opts.resultsDir, "compare.json"), `${JSON.stringify(result, null, 2)}\n`);
  return { result, report };
}

function k6Installed(): boolean {
  try {
    execFileSync("k6", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "30s" },
      rate: { type: "string", default: "1000" },
      engine: { type: "string", default: "autocannon" },
      "out-dir": { type: "string" },
      "results-dir": { type: "string" },
    },
  });
  if (values.engine === "k6") {
    throw new Error(
      k6Installed()
        ? "perf:compare drives only the autocannon engine so far; run it with --engine autocannon"
        : "k6 is not installed (no `k6` on PATH); run perf:compare with --engine autocannon",
    );
  }
  if (values.engine !== "autocannon") throw new Error(`unknown engine "${values.engine}"`);
  const rate = Number(values.rate);
  if (!(rate > 0)) throw new Error(`--rate must be a positive number, got ${values.rate}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const root = REPO_ROOT;
  const { report } = await runCompare({
    durationSeconds: parseCliDuration(values.duration) / 1_000,
    rate,
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
