/**
 * Tracing overhead: throughput, latency and CPU of the built service in three modes, in one
 * invocation, against 127.0.0.1 only, each run bounded in time:
 *
 *   not-loaded  node dist/service/src/main.js                       (no --import at all)
 *   off         node --import .../telemetry/register.js ... main.js  (no OTLP endpoint: SDK not started)
 *   on          the same with OTEL_EXPORTER_OTLP_ENDPOINT set, OTEL_TRACES_SAMPLER=always_on
 *               (100% sampling), OTLP/HTTP protobuf to a local receiver: the Jaeger binary
 *               from scripts/install/jaeger.sh when present, else a discard sink process.
 *   on-10pct    the same, sampling 10% (traceidratio 0.1)        (default set includes it)
 *   on-unsampled  the same, always_off: SDK and instrumentations active, nothing recorded
 *               (diagnostic: `--modes on-unsampled` adds it)
 *
 * Every mode gets a fresh service process against the same redis-server, a warm-up, then
 * autocannon for --duration seconds. Rounds interleave the modes (A B C A B C ...) so drift
 * on a shared machine hits them alike; the report takes the median per mode.
 *
 *   npx tsx service/bench/tracing-overhead.ts [--duration 15] [--warmup 3] [--connections 10]
 *       [--rounds 1] [--workload mix|small|both] [--receiver auto|jaeger|sink] [--no-build]
 *       [--modes not-loaded,off,on,on-10pct,on-unsampled] [--out perf-results/tracing-overhead.json]
 *
 * Workloads: `mix` is the runbook's access pattern (lib/workload/plan.ts, seeded), whose
 * bodies are up to 117 KB; `small` is one 2 KB template, where a fixed per-request cost
 * weighs most.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";
import { startRedis } from "../../lib/harness/redis.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { pickRequest, seededRandom } from "../../lib/workload/plan.js";
import { exemplarLabels, inSpan, logTraceFields, recordingSpan } from "../src/telemetry/tracing.js";

const ROOT = REPO_ROOT;
const MAIN = "dist/service/src/main.js";
const REGISTER = "./dist/service/src/telemetry/register.js";

const ALL_MODES = ["not-loaded", "off", "on", "on-10pct", "on-unsampled"] as const;
type Mode = (typeof ALL_MODES)[number];
type Workload = "mix" | "small";

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  workloads: Workload[];
  receiver: "auto" | "jaeger" | "sink";
  build: boolean;
  out: string;
  modes: Mode[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    duration: 15,
    warmup: 3,
    connections: 10,
    rounds: 1,
    workloads: ["mix", "small"],
    receiver: "auto",
    build: true,
    out: "perf-results/tracing-overhead.json",
    modes: ["not-loaded", "off", "on", "on-10pct"],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const bounded = (text: string, min: number, max: number) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be ${min}..${max}`);
      return n;
    };
    switch (flag) {
      case "--duration":
        options.duration = bounded(value(), 1, 120);
        break;
      case "--warmup":
        options.warmup = bounded(value(), 0, 60);
        break;
      case "--connections":
        options.connections = bounded(value(), 1, 200);
        break;
      case "--rounds":
        options.rounds = bounded(value(), 1, 10);
        break;
      case "--workload": {
        const w = value();
        if (w !== "mix" && w !== "small" && w !== "both") throw new Error("--workload is mix, small or both");
        options.workloads = w === "both" ? ["mix", "small"] : [w];
        break;
      }
      case "--receiver": {
        const r = value();
        if (r !== "auto" && r !== "jaeger" && r !== "sink")
          throw new Error("--receiver is auto, jaeger or sink");
        options.receiver = r;
        break;
      }
      case "--no-build":
        options.build = false;
        break;
      case "--out":
        options.out = value();
        break;
      case "--modes": {
        const modes = value().split(",");
        for (const mode of ["not-loaded", "off", "on"]) if (!modes.includes(mode)) modes.push(mode);
        const unknown = modes.filter((mode) => !(ALL_MODES as readonly string[]).includes(mode));
        if (unknown.length > 0)
          throw new Error(`unknown mode(s) ${unknown.join(", ")}; known: ${ALL_MODES.join(", ")}`);
        options.modes = ALL_MODES.filter((mode) => modes.includes(mode));
        break;
      }
      default:
        throw new Error(`unknown argument ${flag}`);
    }
  }
  return options;
}

function paths(workload: Workload): string[] {
  if (workload === "small") return ["/mcp/resources/templates/adr"];
  const random = seededRandom(42);
  return Array.from({ length: 1_000 }, () => pickRequest(random).path);
}

/** utime + stime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

interface Receiver {
  readonly kind: "jaeger" | "sink";
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const SINK = `
import { createServer } from "node:http";
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "Content-Type": "application/x-protobuf" }).end());
});
server.listen(Number(process.env.SINK_PORT), "127.0.0.1", () => process.stdout.write("ready\\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

async function startReceiver(choice: Options["receiver"]): Promise<Receiver> {
  const jaegerBin = process.env.JAEGER_BIN ?? path.join(ROOT, ".tools/bin/jaeger");
  let haveJaeger = true;
  try {
    accessSync(jaegerBin, constants.X_OK);
  } catch {
    haveJaeger = false;
  }
  if (choice === "jaeger" && !haveJaeger)
    throw new Error(`no Jaeger at ${jaegerBin}: bash scripts/install/jaeger.sh`);
  if (choice !== "sink" && haveJaeger) {
    const ports: Record<string, number> = {};
    for (const name of ["OTLP_GRPC", "OTLP_HTTP", "QUERY_HTTP", "QUERY_GRPC", "HEALTH", "METRICS"]) {
      ports[`JAEGER_${name}_PORT`] = await getFreePort();
    }
    const child = spawn(jaegerBin, ["--config", path.join(ROOT, "infra/jaeger/config.yaml")], {
      env: {
        PATH: process.env.PATH ?? "",
        JAEGER_LISTEN_HOST: "127.0.0.1",
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      },
      stdio: "ignore",
    });
    await waitFor(
      "jaeger",
      async () => (await fetch(`http://127.0.0.1:${ports.JAEGER_HEALTH_PORT}/status`)).ok,
      {
        timeoutMs: 30_000,
      },
    );
    return {
      kind: "jaeger",
      endpoint: `http://127.0.0.1:${ports.JAEGER_OTLP_HTTP_PORT}`,
      stop: () => stopChild(child),
    };
  }
  const port = await getFreePort();
  const child = spawn(process.execPath, ["--input-type=module", "-e", SINK], {
    env: { ...process.env, SINK_PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`sink exited with ${code}`)));
  });
  return { kind: "sink", endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

interface RunResult {
  mode: Mode;
  workload: Workload;
  round: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  cpuMsPerRequest: number;
}

async function runOne(
  mode: Mode,
  workload: Workload,
  round: number,
  redisUrl: string,
  receiver: Receiver,
  options: Options,
): Promise<RunResult> {
  const port = await getFreePort();
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")));
  const env: NodeJS.ProcessEnv = {
    ...base,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    REDIS_URL: redisUrl,
    LOG_LEVEL: "info",
  };
  if (mode.startsWith("on")) {
    env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    env.OTEL_SERVICE_NAME = "mcp-resource-service-bench";
    env.OTEL_TRACES_SAMPLER = { on: "always_on", "on-10pct": "traceidratio", "on-unsampled": "always_off" }[
      mode as "on" | "on-10pct" | "on-unsampled"
    ];
    if (mode === "on-10pct") env.OTEL_TRACES_SAMPLER_ARG = "0.1";
  }
  const args = mode === "not-loaded" ? [MAIN] : ["--import", REGISTER, MAIN];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `the service (${mode})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
        const readiness = (await (await fetch(`${url}/readyz`)).json()) as { checks?: { cache?: string } };
        return readiness.checks?.cache === "ok";
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const requests = paths(workload).map((p) => ({ method: "GET" as const, path: p }));
    const common = {
      url,
      connections: options.connections,
      pipelining: 1,
      requests,
      headers: { accept: "application/json", "user-agent": "tracing-overhead-bench" },
    };
    if (options.warmup > 0) await autocannon({ ...common, duration: options.warmup });
    const pid = child.pid as number;
    const cpuBefore = cpuSeconds(pid);
    const result = await autocannon({ ...common, duration: options.duration });
    const cpu = cpuSeconds(pid) - cpuBefore;
    const total = result.requests.total;
    return {
      mode,
      workload,
      round,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      requests: total,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      cpuMsPerRequest: total > 0 ? (cpu * 1000) / total : Number.NaN,
    };
  } finally {
    await stopChild(child);
  }
}

/**
 * What the tracing calls in the request path cost when no SDK is registered (modes
 * not-loaded and off): the per-load span, the exemplar lookup, the span attribute and one
 * log mixin call, against the same async function without them. Nanoseconds per load.
 */
async function noopCost(iterations = 200_000): Promise<{ baselineNs: number; tracedNs: number }> {
  const attributes = {
    "resource.type": "templates",
    "resource.uri": "sdlc://templates/adr",
    "cache.key": "k",
  };
  const work = async () => 1;
  const traced = () =>
    inSpan("resource.load", { attributes }, async () => {
      recordingSpan()?.setAttribute("cache.result", "hit");
      exemplarLabels();
      logTraceFields();
      return work();
    });
  const time = async (fn: () => Promise<number>) => {
    for (let i = 0; i < 20_000; i++) await fn();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    return Number(process.hrtime.bigint() - started) / iterations;
  };
  const baselineNs = Math.min(await time(work), await time(work));
  const tracedNs = Math.min(await time(traced), await time(traced));
  return { baselineNs, tracedNs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) {
    console.error("building dist/ (tsc -p tsconfig.build.json)");
    execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], {
      cwd: ROOT,
      stdio: "inherit",
    });
  }
  const noop = await noopCost();
  console.error(
    `no-op tracing calls per load (no SDK): ${fixed(noop.tracedNs - noop.baselineNs, 0)} ns (${fixed(noop.tracedNs, 0)} vs ${fixed(noop.baselineNs, 0)} ns)`,
  );
  const redis = await startRedis();
  const receiver = await startReceiver(options.receiver);
  const results: RunResult[] = [];
  try {
    for (const workload of options.workloads) {
      for (let round = 1; round <= options.rounds; round++) {
        for (const mode of options.modes) {
          const r = await runOne(mode, workload, round, redis.url, receiver, options);
          results.push(r);
          console.error(
            `${workload} round ${round} ${mode.padEnd(10)} ${fixed(r.rps, 0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${fixed(r.cpuMsPerRequest, 3)} ms/req  errors ${r.errors} non2xx ${r.non2xx}`,
          );
        }
      }
    }
  } finally {
    await receiver.stop();
    await redis.stop();
  }

  const lines: string[] = [];
  const summary: Record<
    string,
    Record<Mode, { rps: number; p99: number; p50: number; cpuMsPerRequest: number }>
  > = {};
  for (const workload of options.workloads) {
    const byMode = {} as Record<Mode, { rps: number; p99: number; p50: number; cpuMsPerRequest: number }>;
    for (const mode of options.modes) {
      const runs = results.filter((r) => r.workload === workload && r.mode === mode);
      byMode[mode] = {
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
      };
    }
    summary[workload] = byMode;
    const { "not-loaded": none, off, on } = byMode;
    lines.push(
      `workload ${workload} (${options.connections} connections, ${options.duration} s x ${options.rounds} round(s), median):`,
      "| mode | req/s | p50 ms | p99 ms | service CPU ms/req |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...options.modes.map(
        (mode) =>
          `| ${mode} | ${fixed(byMode[mode].rps, 0)} | ${byMode[mode].p50} | ${byMode[mode].p99} | ${fixed(byMode[mode].cpuMsPerRequest, 3)} |`,
      ),
      `ratios: on/off req/s ${fixed(on.rps / off.rps)}, p99 ${fixed(on.p99 / off.p99)}, CPU/req ${fixed(on.cpuMsPerRequest / off.cpuMsPerRequest)}` +
        ` | off/not-loaded req/s ${fixed(off.rps / none.rps)}, p99 ${fixed(off.p99 / none.p99)}, CPU/req ${fixed(off.cpuMsPerRequest / none.cpuMsPerRequest)}` +
        (byMode["on-10pct"]
          ? ` | on-10pct/off req/s ${fixed(byMode["on-10pct"].rps / off.rps)}, p99 ${fixed(byMode["on-10pct"].p99 / off.p99)}, CPU/req ${fixed(byMode["on-10pct"].cpuMsPerRequest / off.cpuMsPerRequest)}`
          : ""),
      "",
    );
  }
  const failed = results.filter((r) => r.errors > 0 || r.non2xx > 0);
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    receiver: receiver.kind,
    noopNsPerLoad: noop.tracedNs - noop.baselineNs,
    options: { ...options, out: undefined },
    results,
    summary,
  };
  mkdirSync(path.dirname(path.resolve(ROOT, options.out)), { recursive: true });
  writeFileSync(path.resolve(ROOT, options.out), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`receiver: ${receiver.kind}; ${os.cpus().length} CPUs; node ${process.version}\n`);
  console.log(
    `no-op tracing calls per resource load without an SDK: ${fixed(noop.tracedNs - noop.baselineNs, 0)} ns\n`,
  );
  console.log(lines.join("\n"));
  console.log(`raw results: ${options.out}`);
  if (failed.length > 0) {
    console.error(`${failed.length} run(s) had errors or non-2xx responses`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
