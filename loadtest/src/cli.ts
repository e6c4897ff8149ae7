/**
 * Load-test CLI: one of the runbook's profiles against a local service, with autocannon
 * (default, runs anywhere Node does) or k6 (when asked and installed). Writes
 * summary.json/.txt, stats.csv, history.csv and report.html, prints the table, and exits
 * non-zero when any threshold is breached.
 *
 *   tsx loadtest/src/cli.ts --profile quick [--engine autocannon|k6|auto]
 *       [--base-url http://127.0.0.1:8000] [--duration 20s] [--out DIR]
 *       [--self-host | --self-host-if-down] [--threshold p95=80 ...] [--seed N]
 *       [--prometheus-rw-url http://127.0.0.1:9090/api/v1/write]
 *
 * Exit codes: 0 all thresholds met; 1 a threshold breached; 2 usage or setup error.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseCliDuration } from "../../lib/contract/duration.js";
import { parseBaseUrl } from "../../lib/workload/load-target.js";
import { runAutocannon } from "./engines/autocannon.js";
import { findK6, runK6 } from "./engines/k6.js";
import { renderHtml } from "./report/html-report.js";
import { renderCsv, renderHistoryCsv, renderText } from "./report/summary-report.js";
import { isReady, type SelfHostedStack, startSelfHostedStack } from "./selfhost.js";
import { getProfile, type Profile } from "./workload/profiles.js";
import type { RunSummary } from "./workload/summary.js";
import { GATES, resolveThresholds } from "./workload/thresholds.js";

export type EngineName = "autocannon" | "k6";

export class UsageError extends Error {}

function mcpShareOf(text: string): number {
  const share = Number(text);
  if (!(share >= 0 && share <= 1)) throw new UsageError(`--mcp-share ${text}: must be a number from 0 to 1`);
  return share;
}

const HELP = `Usage: tsx loadtest/src/cli.ts [options]

  --profile NAME           full | quick | stress | warmup (default quick; env PERF_PROFILE)
  --engine NAME            autocannon (default) | k6 | auto (k6 if installed) (env PERF_ENGINE)
  --base-url URL           service origin, loopback only (default http://127.0.0.1:8000;
                           env PERF_BASE_URL, or BASE_URL when it is an http(s) URL)
  --duration D             override the profile's duration: 30s, 1m, 90 (env DURATION)
  --users N                override the profile's concurrent users (custom load; the thresholds stay)
  --spawn-rate N           override the profile's ramp (users started per second)
  --out DIR                output directory (default perf-results/<profile>-<engine>-<time>)
  --self-host              start a throw-away redis-server + the service on free ports, test, stop
  --self-host-if-down      self-host only when nothing answers /readyz at --base-url
                           (env PERF_SELF_HOST=always|auto)
  --threshold SPEC         override thresholds, repeatable: p95=80, sdlc.p99=40, failureRate=0.01,
                           rps=off (env PERF_THRESHOLDS, comma separated)
  --gate all|ci            all (default): any breached threshold fails the run; ci: only the runbook's
                           Quick Performance Check (0% failures, overall p95 < 100 ms) fails it, the
                           rest are reported as WARN (env PERF_GATE)
  --seed N                 repeatable URL sequence (autocannon)
  --mcp-share F            share (0..1) of resource reads sent over POST /mcp (the MCP scenario)
  --prometheus-rw-url URL  k6 only: also send metrics via Prometheus remote write (env PROMETHEUS_RW_URL)
  --quiet                  no progress lines
  -h, --help
`;

export interface LoadRunOptions {
  profile: Profile;
  engine: EngineName;
  baseUrl: string;
  durationSeconds: number;
  thresholdOverrides: string;
  /** all: every threshold fails the run; ci: the runbook's Quick Performance Check only. */
  gate: string;
  outDir: string;
  testId: string;
  seed?: number;
  /** Share of resource reads sent over MCP (POST /mcp resources/read). */
  mcpShare?: number;
  prometheusRwUrl?: string;
  quiet?: boolean;
  signal?: AbortSignal;
}

function timestamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[:.]/g, "-")
    .replace(/-\d{3}Z$/, "Z");
}

/** Writes the report files for a summary; returns their paths. */
export function writeReports(summary: RunSummary, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: Array<[string, string]> = [
    ["summary.json", `${JSON.stringify(summary, null, 2)}\n`],
    ["summary.txt", renderText(summary)],
    ["stats.csv", renderCsv(summary)],
    ["report.html", renderHtml(summary)],
  ];
  if (summary.timeline) files.push(["history.csv", renderHistoryCsv(summary)]);
  return files.map(([name, content]) => {
    const file = path.join(outDir, name);
    writeFileSync(file, content);
    return file;
  });
}

/** Runs one load test with the chosen engine and returns its summary (reports written). */
export async function runLoad(opts: LoadRunOptions): Promise<RunSummary> {
  const thresholds = resolveThresholds(opts.profile, opts.gate, opts.thresholdOverrides);
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  log(
    `load test: profile ${opts.profile.name} (${opts.profile.users} users, spawn ${opts.profile.spawnRate}/s, ` +
      `${opts.durationSeconds}s) via ${opts.engine} -> ${opts.baseUrl}`,
  );
  if (opts.engine === "k6") {
    const bin = findK6();
    if (!bin) throw new UsageError("k6 engine requested but no `k6` binary found (PATH or K6_BIN)");
    const result = await runK6({
      bin,
      baseUrl: opts.baseUrl,
      profile: opts.profile.name,
      users: opts.profile.users,
      spawnRate: opts.profile.spawnRate,
      durationSeconds: opts.durationSeconds,
      thresholdOverrides: opts.thresholdOverrides,
      gate: opts.gate,
      outDir: opts.outDir,
      testId: opts.testId,
      ...(opts.prometheusRwUrl ? { prometheusRwUrl: opts.prometheusRwUrl } : {}),
      ...(opts.mcpShare !== undefined ? { mcpShare: opts.mcpShare } : {}),
    });
    if (!result.summary) throw new Error(`k6 exited ${result.exitCode} without writing summary.json`);
    // k6's own threshold verdict (exit 99) and ours agree; keep both honest.
    if (result.exitCode !== 0 && result.summary.passed) result.summary.passed = false;
    return result.summary;
  }
  const summary = await runAutocannon({
    baseUrl: opts.baseUrl,
    profile: opts.profile,
    durationSeconds: opts.durationSeconds,
    thresholds,
    testId: opts.testId,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.mcpShare !== undefined ? { mcpShare: opts.mcpShare } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onProgress: (p) => {
      if (p.second > 0 && (p.second % 5 === 0 || p.second === 1)) {
        log(`  t=${p.second}s connections=${p.connections} responses=${p.requests} failures=${p.failures}`);
      }
    },
  });
  writeReports(summary, opts.outDir);
  return summary;
}

/** The CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string" },
      engine: { type: "string" },
      "base-url": { type: "string" },
      duration: { type: "string" },
      users: { type: "string" },
      "spawn-rate": { type: "string" },
      out: { type: "string" },
      "self-host": { type: "boolean" },
      "self-host-if-down": { type: "boolean" },
      threshold: { type: "string", multiple: true },
      gate: { type: "string" },
      seed: { type: "string" },
      "mcp-share": { type: "string" },
      "prometheus-rw-url": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = process.env;
  let stack: SelfHostedStack | undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const base = getProfile(values.profile ?? env.PERF_PROFILE ?? "quick");
    const positive = (flag: string, v: string | undefined, fallback: number) => {
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 10_000)
        throw new UsageError(`--${flag} must be an integer 1..10000`);
      return n;
    };
    const profile: Profile = {
      ...base,
      users: positive("users", values.users, base.users),
      spawnRate: positive("spawn-rate", values["spawn-rate"], base.spawnRate),
    };
    const engineArg = (values.engine ?? env.PERF_ENGINE ?? "autocannon").toLowerCase();
    if (!["autocannon", "k6", "auto"].includes(engineArg)) {
      throw new UsageError(`unknown engine "${engineArg}"; one of autocannon, k6, auto`);
    }
    const engine: EngineName =
      engineArg === "auto" ? (findK6() ? "k6" : "autocannon") : (engineArg as EngineName);
    if (engine === "k6" && !findK6()) {
      throw new UsageError(
        "k6 engine requested but no `k6` binary found (PATH or K6_BIN). Install k6 >= v0.57 or use --engine autocannon",
      );
    }
    const durationText = values.duration ?? env.DURATION;
    const durationSeconds = durationText ? parseCliDuration(durationText) / 1_000 : profile.durationSeconds;
    const thresholdOverrides = [env.PERF_THRESHOLDS ?? "", ...(values.threshold ?? [])]
      .filter(Boolean)
      .join(",");
    const gate = values.gate ?? env.PERF_GATE ?? "all";
    if (!(GATES as readonly string[]).includes(gate))
      throw new UsageError(`--gate must be one of ${GATES.join(", ")}`);
    // Validate overrides before anything starts.
    resolveThresholds(profile, gate, thresholdOverrides);
    const selfHostMode = values["self-host"]
      ? "always"
      : values["self-host-if-down"]
        ? "auto"
        : (env.PERF_SELF_HOST ?? "never");
    if (!["always", "auto", "never"].includes(selfHostMode)) {
      throw new UsageError(`PERF_SELF_HOST must be always, auto or never, got "${selfHostMode}"`);
    }
    // BASE_URL is what the k6 scripts read; some tools (Vite/vitest) set it to "/", so only
    // a value that looks like a URL counts. PERF_BASE_URL has no such ambiguity.
    const envBaseUrl =
      env.PERF_BASE_URL ?? (/^https?:\/\//.test(env.BASE_URL ?? "") ? env.BASE_URL : undefined);
    let baseUrl = parseBaseUrl(values["base-url"] ?? envBaseUrl ?? "http://127.0.0.1:8000").origin;
    const testId = `${profile.name}-${engine}-${timestamp()}`;
    const outDir = path.resolve(values.out ?? env.PERF_OUT ?? path.join("perf-results", testId));

    const log = (line: string) => {
      if (!values.quiet) process.stderr.write(`${line}\n`);
    };
    if (selfHostMode === "always" || (selfHostMode === "auto" && !(await isReady(baseUrl)))) {
      if (selfHostMode === "auto")
        log(`nothing ready at ${baseUrl}: self-hosting redis-server + the service`);
      stack = await startSelfHostedStack({ logDir: path.join(outDir, "logs"), log });
      baseUrl = stack.baseUrl;
    } else if (!(await isReady(baseUrl, 5_000))) {
      throw new UsageError(
        `no ready service at ${baseUrl} (GET /readyz). Start one (task dev, with task db:start) or pass --self-host`,
      );
    }

    const summary = await runLoad({
      profile,
      engine,
      baseUrl,
      durationSeconds,
      thresholdOverrides,
      gate,
      outDir,
      testId,
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
      ...(values["mcp-share"] !== undefined ? { mcpShare: mcpShareOf(values["mcp-share"] as string) } : {}),
      ...((values["prometheus-rw-url"] ?? env.PROMETHEUS_RW_URL)
        ? { prometheusRwUrl: (values["prometheus-rw-url"] ?? env.PROMETHEUS_RW_URL) as string }
        : {}),
      quiet: values.quiet ?? false,
      signal: controller.signal,
    });
    if (engine === "autocannon") process.stdout.write(renderText(summary));
    process.stdout.write(`\nreports: ${outDir}/{summary.json,summary.txt,stats.csv,report.html}\n`);
    if (controller.signal.aborted) {
      process.stderr.write("interrupted: the results cover the part that ran\n");
      return 1;
    }
    return summary.passed ? 0 : 1;
  } catch (error) {
    process.stderr.write(`loadtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stack?.stop();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`loadtest: ${String(error)}\n`);
      process.exit(2);
    },
  );
}
