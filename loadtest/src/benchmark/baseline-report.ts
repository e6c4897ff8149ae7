import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RESOURCE_TYPES, type ResourceType } from "../../../lib/contract/resource-kinds.js";
import { markdownTable } from "../../../lib/markdown-table.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { ENDPOINTS } from "../../../lib/workload/access-pattern.js";
import type { HitRatios } from "../service-metrics.js";
import type { Profile } from "../workload/profiles.js";
import type { GroupStats, RunSummary } from "../workload/summary.js";
import { OVERALL_TARGETS, WARM_TARGETS } from "../workload/thresholds.js";

export interface PhaseResult {
  name: "cold" | "warmup" | "warm";
  profile: Profile;
  durationSeconds: number;
  summary: RunSummary;
  hitRatios: HitRatios;
  /** The machine's 1-minute load average at the start and at the end of the phase. */
  loadAverage: { start: number; end: number };
}

export interface Environment {
  cpu: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  redis: string;
  autocannon: string;
  cacheTtlSeconds: number;
  target: string;
  selfHosted: boolean;
  /** 1/5/15-minute load averages when the benchmark started (other work on the machine). */
  loadAverage: number[];
}

const LABELS: Record<ResourceType, string> = {
  sdlc: "SDLC Core",
  patterns: "Patterns",
  templates: "Templates",
};

/** Runbook "Expected Results (Cache Cold Start)" targets (ms). */
const COLD_TARGETS: Record<ResourceType | "combined", { p50: number; p95: number; p99: number }> = {
  sdlc: { p50: 30, p95: 60, p99: 100 },
  patterns: { p50: 40, p95: 80, p99: 150 },
  templates: { p50: 50, p95: 100, p99: 200 },
  combined: { p50: 40, p95: 80, p99: 150 },
};

/** Runbook "Expected Results (Cache Warm)" targets (hit rate as a fraction, ms). */
const WARM_TABLE: Record<ResourceType | "combined", { hit: number; p50: number; p95: number; p99: number }> =
  {
    sdlc: { hit: 0.9, p50: 10, ...WARM_TARGETS.sdlc },
    patterns: { hit: 0.7, p50: 15, ...WARM_TARGETS.patterns },
    templates: { hit: 0.5, p50: 20, ...WARM_TARGETS.templates },
    combined: { hit: 0.7, p50: 15, p95: 50, p99: 100 },
  };

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text)?.[1];
    if (pretty) return pretty;
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

function packageVersion(name: string): string {
  try {
    const file = path.join(REPO_ROOT, "node_modules", name, "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function describeEnvironment(
  redis: string,
  target: string,
  selfHosted: boolean,
  loadAverage: number[] = os.loadavg(),
): Environment {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: osName(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis,
    autocannon: packageVersion("autocannon"),
    cacheTtlSeconds: Number(process.env.CACHE_TTL_SECONDS ?? 300),
    target,
    selfHosted,
    loadAverage: loadAverage.map((v) => Math.round(v * 100) / 100),
  };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
export const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
const mark = (ok: boolean) => (ok ? "✅" : "❌");

function latencyCells(s: GroupStats, t: { p50: number; p95: number; p99: number }): string[] {
  return [
    `${ms(s.p50)} ${mark(s.p50 < t.p50)}`,
    `${ms(s.p95)} ${mark(s.p95 < t.p95)}`,
    `${ms(s.p99)} ${mark(s.p99 < t.p99)}`,
  ];
}

/** Facts derived from the measurements (no judgement beyond arithmetic). */
export function observations(phases: PhaseResult[]): string[] {
  const out: string[] = [];
  for (const p of phases) {
    const o = p.summary.overall;
    if (o.rps > 0) {
      out.push(
        `${p.name}: ${p.profile.users} closed-loop users at ${o.rps.toFixed(0)} req/s means a mean latency of ` +
          `${((p.profile.users / o.rps) * 1000).toFixed(1)} ms by Little's law (measured mean ${o.mean.toFixed(1)} ms, ` +
          `p50 ${o.p50.toFixed(1)} ms): latency at a fixed user count is set by throughput.`,
      );
    }
  }
  const warm = phases.find((p) => p.name === "warm");
  const warmup = phases.find((p) => p.name === "warmup");
  if (warm && warmup && warmup.summary.overall.rps > 0) {
    out.push(
      `Throughput with ${warm.profile.users} users (${warm.summary.overall.rps.toFixed(0)} req/s) vs ${warmup.profile.users} ` +
        `users (${warmup.summary.overall.rps.toFixed(0)} req/s): ${
          warm.summary.overall.rps < warmup.summary.overall.rps * 1.25
            ? "about the same, so the machine is saturated at the lower count already and extra users only queue"
            : "it grows with users, so the machine is not saturated at the lower count"
        }.`,
    );
  }
  if (warm) {
    const endpoints = ENDPOINTS.map((e) => ({ e, s: warm.summary.byEndpoint[e] })).sort(
      (a, b) => b.s.p95 - a.s.p95,
    );
    const [slowest, next] = endpoints;
    if (slowest && next && next.s.p95 > 0) {
      out.push(
        `Slowest endpoint in the warm run: ${slowest.e} (p95 ${ms(slowest.s.p95)}, ${(slowest.s.p95 / next.s.p95).toFixed(1)}x ` +
          `the next one, ${next.e}); it carries ${((slowest.s.requests / warm.summary.overall.requests) * 100).toFixed(1)}% ` +
          "of the requests, which is enough to set the combined p95 when it is the slowest.",
      );
    }
    const errors = warm.hitRatios.errors;
    if (errors.get > 0 || errors.set > 0) {
      out.push(
        `The service counted ${errors.get} failed or timed-out cache lookups and ${errors.set} failed cache writes ` +
          `in the warm run (${warm.hitRatios.combined.misses} misses in all): each such lookup is served as a miss, from disk.`,
      );
    }
  }
  return out;
}

/** The baseline report in the runbook's "Baseline Performance" layout, filled in. */
export function renderBaselineMarkdown(
  env: Environment,
  phases: PhaseResult[],
  date: Date,
  outDir: string,
): string {
  const phase = (n: PhaseResult["name"]) => {
    const p = phases.find((x) => x.name === n);
    if (!p) throw new Error(`missing phase ${n}`);
    return p;
  };
  const cold = phase("cold");
  const warm = phase("warm");
  const day = date.toISOString().slice(0, 10);
  const lines: string[] = [];
  lines.push(`# Baseline Performance - ${day}`);
  lines.push("");
  lines.push(
    `Measured by \`task perf:benchmark\` (\`npm run perf:benchmark\`), started ${date.toISOString()}: ` +
      'the runbook\'s "Baseline Performance" section with its tables filled in. Latencies are end to end ' +
      "as the load generator saw them (request written to response complete), recorded per request in HDR " +
      "histograms per `resource_type`, so the percentiles are exact to 3 significant digits. Hit rates are " +
      "the service's own counters (`mcp_resource_cache_hits_total` / `mcp_resource_cache_misses_total` from " +
      "`/metrics`), taken as the difference across each phase.",
  );
  lines.push("");
  lines.push("## Environment");
  lines.push("");
  lines.push(`- **Hardware:** ${env.cpu}, ${env.cpus} logical CPUs, ${env.memoryGiB} GiB RAM`);
  lines.push(`- **OS:** ${env.os} (${env.kernel})`);
  lines.push(`- **Node.js:** ${env.node}`);
  lines.push(
    `- **Load average when the benchmark started:** ${env.loadAverage.join(" / ")} (1 / 5 / 15 min). ` +
      `With ${env.cpus} CPUs, the run itself (service + Redis + load generator) accounts for about ${env.cpus}; ` +
      "more means other work shared the machine (see the per-phase column below)",
  );
  lines.push(
    `- **Redis:** ${env.redis}, local instance on 127.0.0.1 (${env.selfHosted ? "throw-away redis-server started by the benchmark, no persistence" : "the running stack's"})`,
  );
  lines.push(`- **Cache TTL:** ${env.cacheTtlSeconds} seconds`);
  lines.push(
    `- **Service:** ${env.selfHosted ? "started fresh by the benchmark (`node --import tsx service/src/main.ts`, LOG_LEVEL=warn)" : env.target}`,
  );
  lines.push(
    `- **Load generator:** autocannon ${env.autocannon} in one Node process on the same machine ` +
      "(service, Redis and load generator share the CPUs); closed loop: each user sends its next request as " +
      "soon as the previous response arrives (no think time); users join at the spawn rate in 1 s steps",
  );
  lines.push("");
  lines.push("**Test Configuration:**");
  lines.push("");
  lines.push(
    markdownTable(
      [
        "Phase",
        "Profile",
        "Users",
        "Spawn Rate",
        "Duration",
        "Total Requests",
        "RPS",
        "Failures",
        "Server hit rate",
        "Cache errors (get/set)",
        "Load avg (start → end)",
      ],
      phases.map((p) => [
        p.name === "cold" ? "Cold (after FLUSHALL)" : p.name === "warmup" ? "Warmup" : "Warm",
        p.profile.name,
        String(p.profile.users),
        `${p.profile.spawnRate}/s`,
        `${p.durationSeconds} s`,
        String(p.summary.overall.requests),
        p.summary.overall.rps.toFixed(1),
        `${p.summary.overall.failures} (${(p.summary.overall.failureRate * 100).toFixed(3)}%)`,
        pct(p.hitRatios.combined.ratio),
        `${p.hitRatios.errors.get} / ${p.hitRatios.errors.set}`,
        `${p.loadAverage.start} → ${p.loadAverage.end}`,
      ]),
    ),
  );
  lines.push("");
  const fullPhaseNote =
    warm.durationSeconds === warm.profile.durationSeconds
      ? `The warm run uses the \`${warm.profile.name}\` profile's own numbers (${warm.profile.users} users, ${warm.profile.durationSeconds} s).`
      : `Durations used: the warm run ran ${warm.durationSeconds} s instead of the profile's ${warm.profile.durationSeconds} s.`;
  lines.push(
    `${fullPhaseNote} The cold run ran ${cold.durationSeconds} s from an empty cache (the profile's ` +
      "users and spawn rate); every resource is filled within its first second, so its percentiles " +
      "converge on warm ones as it goes on, and the X-Cache table below isolates the misses. Misses beyond " +
      "the first fill of each of the 29 resources are concurrent first requests, expired keys, or lookups " +
      "that failed or timed out (the cache-errors column, `mcp_resource_cache_errors_total`).",
  );
  lines.push("");
  lines.push("### Results (Cache Warm)");
  lines.push("");
  lines.push("Each cell: measured, then ✅/❌ against the runbook's expected value.");
  lines.push("");
  const warmRows = RESOURCE_TYPES.map((t) => {
    const s = warm.summary.byResourceType[t];
    const hr = warm.hitRatios.byResourceType[t].ratio;
    return [
      LABELS[t],
      `${pct(hr)} ${hr === null ? "" : mark(hr > WARM_TABLE[t].hit)}`,
      ...latencyCells(s, WARM_TABLE[t]),
      String(s.requests),
    ];
  });
  const wc = warm.hitRatios.combined.ratio;
  warmRows.push([
    "**Combined**",
    `**${pct(wc)}** ${wc === null ? "" : mark(wc > WARM_TABLE.combined.hit)}`,
    ...latencyCells(warm.summary.overall, WARM_TABLE.combined).map((c) => `**${c}**`),
    `**${warm.summary.overall.requests}**`,
  ]);
  lines.push(
    markdownTable(
      ["Resource Type", "Cache Hit Rate", "p50 Latency", "p95 Latency", "p99 Latency", "Requests"],
      warmRows,
    ),
  );
  lines.push("");
  lines.push(
    "Runbook expectations: SDLC Core >90% / <10 / <15 / <30 ms; Patterns >70% / <15 / <30 / <60 ms; " +
      "Templates >50% / <20 / <50 / <100 ms; Combined >70% / <15 / <50 / <100 ms. Templates include the " +
      "template listing (`resource_type` templates), which has no cache lookup, so it counts in latency but " +
      "not in the hit rate.",
  );
  lines.push("");
  lines.push("### Results (Cache Cold Start)");
  lines.push("");
  const coldRows = RESOURCE_TYPES.map((t) => [
    LABELS[t],
    ...latencyCells(cold.summary.byResourceType[t], COLD_TARGETS[t]),
    pct(cold.hitRatios.byResourceType[t].ratio),
  ]);
  coldRows.push([
    "**Combined**",
    ...latencyCells(cold.summary.overall, COLD_TARGETS.combined).map((c) => `**${c}**`),
    `**${pct(cold.hitRatios.combined.ratio)}**`,
  ]);
  lines.push(
    markdownTable(
      ["Resource Type", "p50 Latency", "p95 Latency", "p99 Latency", "Server hit rate"],
      coldRows,
    ),
  );
  lines.push("");
  lines.push(
    "Runbook expectations: SDLC Core <30 / <60 / <100 ms; Patterns <40 / <80 / <150 ms; Templates <50 / <100 / " +
      "<200 ms; Combined <40 / <80 / <150 ms.",
  );
  lines.push("");
  lines.push(
    "**First touch: responses the service marked `X-Cache: MISS` vs `HIT` (all phases by cache result):**",
  );
  lines.push("");
  const cacheRows: string[][] = [];
  for (const p of phases) {
    for (const r of ["miss", "hit"] as const) {
      const s = p.summary.byCacheResult?.[r];
      if (!s) continue;
      cacheRows.push([
        p.name,
        r.toUpperCase(),
        String(s.requests),
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
      ]);
    }
  }
  lines.push(markdownTable(["Phase", "X-Cache", "Responses", "p50", "p95", "p99", "max"], cacheRows));
  lines.push("");
  lines.push("### Per endpoint (warm run)");
  lines.push("");
  lines.push(
    markdownTable(
      ["Endpoint", "Requests", "RPS", "p50", "p95", "p99", "max"],
      ENDPOINTS.map((e) => {
        const s = warm.summary.byEndpoint[e];
        return [e, String(s.requests), s.rps.toFixed(1), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
      }),
    ),
  );
  lines.push("");
  lines.push("### Threshold verdicts (warm run, the `full` profile's thresholds)");
  lines.push("");
  lines.push(
    markdownTable(
      ["Result", "Scope", "Threshold", "Actual"],
      warm.summary.thresholds.map((t) => [
        t.ok ? "PASS" : "FAIL",
        t.scope,
        t.description,
        t.actual === null
          ? "no data"
          : t.stat === "failureRate"
            ? `${(t.actual * 100).toFixed(3)}%`
            : t.stat === "rps"
              ? `${t.actual.toFixed(1)} req/s`
              : ms(t.actual),
      ]),
    ),
  );
  lines.push("");
  lines.push(
    `Overall targets from the runbook's key metrics: ${OVERALL_TARGETS.failureRate}% failures, p50 < ${OVERALL_TARGETS.p50} ms, ` +
      `p95 < ${OVERALL_TARGETS.p95} ms, p99 < ${OVERALL_TARGETS.p99} ms, > 500 req/s.`,
  );
  lines.push("");
  lines.push("## Reading the numbers");
  lines.push("");
  for (const line of observations(phases)) lines.push(`- ${line}`);
  lines.push("");
  lines.push("## Reproduce");
  lines.push("");
  lines.push("```bash");
  lines.push(
    `task perf:benchmark   # = npm run perf:benchmark -- --cold-duration ${cold.durationSeconds}s ` +
      `--warmup-duration ${phase("warmup").durationSeconds}s --warm-duration ${warm.durationSeconds}s`,
  );
  lines.push("```");
  lines.push("");
  const rel = path.relative(REPO_ROOT, outDir);
  const shown = rel === "" || rel.startsWith("..") ? outDir : rel;
  lines.push(
    `Raw results of this run (summary.json, stats.csv, history.csv, report.html per phase) were written to \`${shown}/\` (not committed).`,
  );
  lines.push("");
  return lines.join("\n");
}
