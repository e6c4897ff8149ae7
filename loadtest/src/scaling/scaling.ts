/**
 * perf:scaling - what HAProxy in front of 1, 2 and 3 replicas gives on this machine, and what
 * the balancer hop costs. One Redis, N service processes as the image runs them (dist, the
 * shipped memory settings, tracing hook without an exporter), the project's haproxy.cfg
 * rewritten for loopback (lib/harness/haproxy.ts), and wrk with the runbook mix (warm cache),
 * pinned to the last CPU where taskset works; the servers and HAProxy share every CPU, as
 * replicas on one host do. Each configuration runs `--runs` times, interleaved, and the report
 * gives the median and the spread. Writes docs/benchmarks/scaling-<date>.md.
 *
 *   tsx loadtest/src/scaling/scaling.ts [--duration 10s] [--connections 50] [--runs 3]
 *       [--max-replicas 3] [--out-dir docs/benchmarks]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseCliDuration } from "../../../lib/contract/duration.js";
import { HAPROXY_BACKENDS } from "../../../lib/contract/stack.js";
import { type HaproxyProcess, startHaproxy, waitForBackend } from "../../../lib/harness/haproxy.js";
import { startRedis } from "../../../lib/harness/redis.js";
import { type ServiceProcess, startServiceProcess } from "../../../lib/harness/service.js";
import { markdownTable } from "../../../lib/markdown-table.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { detectCpuSplit } from "../engines/cpu-split.js";
import { runWrk, type WrkResult } from "../engines/wrk.js";

interface Figures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
}

/** One configuration: the balancer with `replicas` behind it, or one replica directly. */
interface Config {
  readonly label: string;
  readonly replicas: number;
  readonly direct: boolean;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const spread = (values: readonly number[]) => `${Math.min(...values)}-${Math.max(...values)}`;
const round1 = (v: number) => Math.round(v * 10) / 10;

function figures(result: WrkResult): Figures {
  return { rps: result.rps, p50: result.latency.p50, p99: result.latency.p99, failures: result.failures };
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "10s" },
      connections: { type: "string", default: "50" },
      runs: { type: "string", default: "3" },
      "max-replicas": { type: "string", default: "3" },
      "out-dir": { type: "string", default: path.join(REPO_ROOT, "docs/benchmarks") },
    },
  });
  const durationSeconds = parseCliDuration(values.duration) / 1000;
  const connections = Number(values.connections);
  const runs = Number(values.runs);
  const maxReplicas = Number(values["max-replicas"]);
  if (!(Number.isInteger(connections) && connections > 0))
    throw new Error(`--connections ${values.connections}`);
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs ${values.runs}`);
  if (!(Number.isInteger(maxReplicas) && maxReplicas >= 1 && maxReplicas <= 10))
    throw new Error(`--max-replicas ${values["max-replicas"]}: 1 to 10`);

  const cpus = os.cpus().length;
  const split = detectCpuSplit();
  // wrk on the last CPU; the servers are left free to use every CPU, as replicas on a host are.
  const generatorCpu = split ? String(cpus - 1) : undefined;
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const redis = await startRedis({ projectConfig: true });
  const replicas: ServiceProcess[] = [];
  let balancer: HaproxyProcess | undefined;
  const results = new Map<string, Figures[]>();
  const configs: Config[] = [
    { label: "1 replica, direct (no balancer)", replicas: 1, direct: true },
    ...Array.from({ length: maxReplicas }, (_, i) => ({
      label: `${i + 1} replica${i ? "s" : ""} behind HAProxy`,
      replicas: i + 1,
      direct: false,
    })),
  ];
  try {
    for (let i = 0; i < maxReplicas; i++) {
      replicas.push(
        await startServiceProcess({
          redisUrl: redis.url,
          shippedRuntime: true,
          until: "cache-ready",
          name: `replica-${i + 1}`,
          env: { LOG_LEVEL: "warn" },
        }),
      );
    }
    const measure = async (config: Config, seconds: number): Promise<WrkResult> => {
      let url = replicas[0]?.url as string;
      if (!config.direct) {
        await balancer?.stop();
        balancer = await startHaproxy({
          replicas: replicas.slice(0, config.replicas).map((r) => `127.0.0.1:${r.port}`),
        });
        await waitForBackend(balancer.metricsUrl, HAPROXY_BACKENDS.service, config.replicas);
        url = balancer.url;
      }
      return runWrk({
        baseUrl: url,
        connections,
        durationSeconds: seconds,
        ...(generatorCpu === undefined ? {} : { cpus: generatorCpu }),
      });
    };
    // Every replica's cache warm (in-process tier and Redis) before anything is measured.
    for (const replica of replicas) {
      await runWrk({ baseUrl: replica.url, connections: 10, durationSeconds: 3 });
    }
    for (let run = 1; run <= runs; run++) {
      for (const config of configs) {
        const result = figures(await measure(config, durationSeconds));
        results.set(config.label, [...(results.get(config.label) ?? []), result]);
        log(
          `run ${run}/${runs} ${config.label}: ${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.failures} failures`,
        );
      }
    }
  } finally {
    await balancer?.stop();
    for (const replica of replicas) await replica.stop();
    await redis.stop();
  }

  const direct = median((results.get(configs[0]?.label as string) ?? []).map((f) => f.rps));
  const one = median((results.get(configs[1]?.label as string) ?? []).map((f) => f.rps));
  const rows = configs.map((config) => {
    const seen = results.get(config.label) ?? [];
    const rps = seen.map((f) => f.rps);
    return [
      config.label,
      `${round1(median(rps))} (${spread(rps)})`,
      config.direct ? "-" : `${(median(rps) / one).toFixed(2)}`,
      `${(median(rps) / direct).toFixed(2)}`,
      `${round1(median(seen.map((f) => f.p50)))}`,
      `${round1(median(seen.map((f) => f.p99)))}`,
      String(seen.reduce((sum, f) => sum + f.failures, 0)),
    ];
  });
  const hop = {
    p50:
      median((results.get(configs[1]?.label as string) ?? []).map((f) => f.p50)) -
      median((results.get(configs[0]?.label as string) ?? []).map((f) => f.p50)),
  };
  const date = new Date().toISOString().slice(0, 10);
  const cpuModel = os.cpus()[0]?.model ?? "unknown CPU";
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? osName;
  } catch {
    // not Linux
  }
  const report = `# Scaling through HAProxy (${date})

\`npm run perf:scaling -- --duration ${values.duration} --connections ${connections} --runs ${runs}\` on ${cpus} CPUs
(${cpuModel}, ${osName}, Node ${process.version}). One Redis; each replica is the service as the image runs it;
HAProxy runs the project's \`infra/haproxy/haproxy.cfg\` with loopback addresses. wrk sends the runbook mix over
the shipped content with a warm cache, ${connections} connections, ${values.duration} per run, ${
    generatorCpu === undefined
      ? "not pinned (no taskset): generator, servers and HAProxy share every CPU"
      : `pinned to CPU ${generatorCpu}; the replicas and HAProxy may use every CPU, so they share CPU ${generatorCpu} with wrk`
  }. Configurations run interleaved, ${runs} time(s) each; figures are medians, req/s with the range seen.

${markdownTable(
  [
    "configuration",
    "req/s (range)",
    "vs 1 replica behind HAProxy",
    "vs direct",
    "p50 ms",
    "p99 ms",
    "failed requests",
  ],
  rows,
)}

**The balancer hop:** with one replica, HAProxy in front changes the median p50 by ${round1(hop.p50)} ms and the
throughput by a factor of ${(one / direct).toFixed(2)} (its own CPU comes out of the same ${cpus} CPUs).

**Reading it:** on ${cpus} CPUs, with the generator taking a good part of one, more replicas add processes, not CPU:
each replica is one event loop, so a second one can use the CPU the first leaves idle, and a third only competes
for the same CPUs. What replicas buy on one host is surviving a crashed or draining process without failed
requests (\`task drill:replica-down\`), not throughput; on several hosts throughput scales with the hosts.
`;
  mkdirSync(values["out-dir"], { recursive: true });
  const file = path.join(values["out-dir"], `scaling-${date}.md`);
  writeFileSync(file, report);
  log(report);
  log(`report: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
