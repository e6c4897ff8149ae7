/**
 * perf:profile - the Node equivalent of the runbook's py-spy step. Starts a throw-away
 * redis-server and the service under V8's sampling CPU profiler (`node --cpu-prof`), puts it
 * under load with the autocannon engine for 60 s (DURATION / --duration to shorten), stops
 * it gracefully (the profile is written on exit), and turns the .cpuprofile into a flame
 * graph: flamegraph.html (zoom, search, hottest functions) and flamegraph.svg.
 *
 *   tsx loadtest/src/profile/profile.ts [--duration 60s] [--hz 100] [--profile quick] [--out DIR]
 *       [--generator autocannon|wrk] [--connections 100]
 *
 * `--generator wrk` drives the runbook mix with wrk at `--connections` instead (the service on
 * CPU 0 and wrk on CPU 1 where the machine allows, as perf:compare runs it), so the profile is
 * of the server alone at a fixed concurrency rather than of a ramping profile.
 *
 * Open perf-results/profile-<time>/flamegraph.html in a browser (or the .cpuprofile in
 * Chrome DevTools > Performance, or speedscope).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseCliDuration } from "../../../lib/contract/duration.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { runLoad } from "../cli.js";
import { detectCpuSplit, pinProcess } from "../engines/cpu-split.js";
import { runWrk } from "../engines/wrk.js";
import { startSelfHostedStack } from "../selfhost.js";
import { getProfile } from "../workload/profiles.js";
import { type CpuProfile, renderFlameGraphHtml, renderFlameGraphSvg } from "./flamegraph.js";

export interface ProfileRunOptions {
  durationSeconds: number;
  hz: number;
  loadProfile: string;
  outDir: string;
  quiet?: boolean;
  /** autocannon with `loadProfile` (default), or wrk at `connections`. */
  generator?: "autocannon" | "wrk";
  connections?: number;
}

export interface ProfileRunResult {
  cpuprofile: string;
  html: string;
  svg: string;
  samples: number;
}

function findProfile(dir: string, pid: number | undefined): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  // Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one.
  const mine = files.filter(
    (f) => pid !== undefined && f.split(".")[3] === String(pid) && f.split(".")[4] === "0",
  );
  const pick = (mine.length > 0 ? mine : files)
    .map((f) => ({ f, size: statSync(path.join(dir, f)).size }))
    .sort((a, b) => b.size - a.size)[0];
  if (!pick) throw new Error(`no .cpuprofile was written to ${dir}`);
  return path.join(dir, pick.f);
}

export async function runProfile(opts: ProfileRunOptions): Promise<ProfileRunResult> {
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  const intervalUs = Math.max(50, Math.round(1_000_000 / opts.hz));
  const stack = await startSelfHostedStack({
    nodeArgs: ["--cpu-prof", "--cpu-prof-dir", opts.outDir, "--cpu-prof-interval", String(intervalUs)],
    logDir: path.join(opts.outDir, "logs"),
    log,
  });
  const pid = stack.service.pid;
  try {
    log(`profiling the service (pid ${pid}) at ${opts.hz} Hz for ${opts.durationSeconds}s under load`);
    if (opts.generator === "wrk") {
      const split = detectCpuSplit();
      if (split && pid !== undefined) pinProcess(pid, split.server);
      const r = await runWrk({
        baseUrl: stack.baseUrl,
        connections: opts.connections ?? 100,
        durationSeconds: opts.durationSeconds,
        ...(split ? { cpus: split.generator } : {}),
      });
      log(
        `wrk ${opts.connections ?? 100} connections: ${r.rps} req/s, p99 ${r.latency.p99} ms, ${r.failures} failures`,
      );
    } else {
      await runLoad({
        profile: getProfile(opts.loadProfile),
        engine: "autocannon",
        baseUrl: stack.baseUrl,
        durationSeconds: opts.durationSeconds,
        thresholdOverrides: "",
        gate: "all",
        outDir: path.join(opts.outDir, "load"),
        testId: `profile-${Date.now()}`,
        quiet: opts.quiet ?? false,
      });
    }
  } finally {
    // SIGTERM -> graceful close -> process.exit(0), which writes the profile.
    await stack.stop();
  }
  const cpuprofile = findProfile(opts.outDir, pid);
  const data = JSON.parse(readFileSync(cpuprofile, "utf8")) as CpuProfile;
  const root = REPO_ROOT;
  const title = `mcp-resource-service CPU, ${opts.loadProfile} load, ${opts.durationSeconds}s at ${opts.hz} Hz`;
  const html = path.join(opts.outDir, "flamegraph.html");
  const svg = path.join(opts.outDir, "flamegraph.svg");
  writeFileSync(
    html,
    renderFlameGraphHtml(data, {
      title,
      rootDir: root,
      notes: [
        `source profile: ${path.basename(cpuprofile)} (also opens in Chrome DevTools > Performance, or speedscope)`,
        opts.generator === "wrk"
          ? `load: wrk, ${opts.connections ?? 100} connections, the runbook mix`
          : `load: ${opts.loadProfile} profile via autocannon; load report in load/report.html`,
        "look for wide frames: file reads (readFile, open), Redis (the redis client's commands and socket), JSON, compression (zlib/brotli), path checks (realpath)",
      ],
    }),
  );
  writeFileSync(svg, renderFlameGraphSvg(data, { title, rootDir: root }));
  return { cpuprofile, html, svg, samples: data.samples?.length ?? 0 };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      hz: { type: "string" },
      profile: { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      generator: { type: "string" },
      connections: { type: "string" },
    },
  });
  const durationSeconds = parseCliDuration(values.duration ?? process.env.DURATION ?? "60s") / 1_000;
  const hz = Number(values.hz ?? process.env.PROFILE_HZ ?? "100");
  if (!(hz > 0 && hz <= 10_000)) throw new Error(`--hz must be 1..10000, got ${hz}`);
  const outDir = path.resolve(
    values.out ?? path.join("perf-results", `profile-${new Date().toISOString().replace(/[:.]/g, "-")}`),
  );
  const result = await runProfile({
    durationSeconds,
    hz,
    loadProfile: values.profile ?? process.env.PERF_PROFILE ?? "quick",
    outDir,
    quiet: values.quiet ?? false,
    generator: values.generator === "wrk" ? "wrk" : "autocannon",
    connections: Number(values.connections ?? "100"),
  });
  process.stdout.write(
    `flame graph: ${result.html}\n` +
      `             ${result.svg}\n` +
      `cpu profile: ${result.cpuprofile} (${result.samples} samples)\n` +
      `open it:     xdg-open ${result.html}   (or ${pathToFileURL(result.html).href} in a browser)\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`perf:profile: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
