/**
 * The pieces perf:compare is made of: the URL catalogue, capturing (and checking) the
 * service's responses, starting a baseline server child, a closed-loop run (wrk) and an
 * open-model run (vegeta), each returning plain figures.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {
  listingPath,
  RESOURCE_KINDS,
  type ResourceKind,
  resourcePath,
} from "../../../lib/contract/resource-kinds.js";
import { REPO_ROOT } from "../../../lib/repo.js";
import { shippedResources } from "../../../lib/workload/catalogue.js";
import { checkResponse } from "../../../lib/workload/checks.js";
import type { Expectation } from "../../../lib/workload/plan.js";
import { type CpuSplit, pinProcess } from "../engines/cpu-split.js";
import { MIX_HEADERS, mixPaths } from "../engines/request-mix.js";
import { runVegeta } from "../engines/vegeta.js";
import { runWrk } from "../engines/wrk.js";
import { round } from "../workload/numbers.js";
import type { BaselineKind, CapturedResponse } from "./baseline-server.js";

/** Headers copied into the baselines: what shapes the bytes on the wire, nothing per-request. */
const KEPT_HEADERS = ["content-type", "etag", "cache-control", "vary"];

/** Every path+query the workload can produce, with what its body must hold. */
export function workloadUrls(): Array<{ url: string; expect: Expectation }> {
  const listings = (RESOURCE_KINDS as readonly ResourceKind[]).flatMap((kind) => listingPath(kind) ?? []);
  return [
    ...shippedResources().map((ref) => ({
      url: resourcePath(ref),
      expect: { kind: "resource" as const, uri: ref.uri },
    })),
    ...listings.map((url) => ({ url, expect: { kind: "listing" as const } })),
  ];
}

/** GET one URL with node:http (not fetch, which would ask for and undo compression). */
function get(baseUrl: string, url: string): Promise<CapturedResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${url}`, { headers: MIX_HEADERS, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const headers: Record<string, string> = {};
        for (const h of KEPT_HEADERS) {
          const v = res.headers[h];
          if (typeof v === "string") headers[h] = v;
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("base64") });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on("error", reject);
  });
}

/**
 * Captures every workload URL once (which also warms the service's cache) into a file, each
 * response checked against the contract: wrk and vegeta count statuses only, so this is where
 * the bytes every later run serves are known to be right.
 */
export async function captureResponses(baseUrl: string, file: string): Promise<number> {
  const out: Record<string, CapturedResponse> = {};
  const urls = workloadUrls();
  const mix = new Set(mixPaths());
  for (const { url, expect } of urls) {
    const r = await get(baseUrl, url);
    const failed = checkResponse(expect, r.status, Buffer.from(r.body, "base64").toString("utf8"));
    if (failed) throw new Error(`capture: GET ${url}: ${failed}`);
    out[url] = r;
  }
  for (const url of mix)
    if (!out[url]) throw new Error(`capture: the mix requests ${url}, not in the catalogue`);
  writeFileSync(file, JSON.stringify(out));
  return Object.keys(out).length;
}

export interface Baseline {
  baseUrl: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts baseline-server.ts in its own Node process and waits for its port. */
export async function startBaseline(kind: BaselineKind, capturedFile: string): Promise<Baseline> {
  const entry = path.join(REPO_ROOT, "loadtest", "src", "compare", "baseline-server.ts");
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", entry, kind, capturedFile], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} baseline: no port within 20 s`)), 20_000);
    let text = "";
    child.stdout?.on("data", (c: Buffer) => {
      text += c.toString();
      const m = /listening (\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} baseline exited with code ${code}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(kill);
  };
  return { baseUrl: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

/** Pins a server-side process to the split's server CPUs (no-op without a split). */
export function pinServer(pid: number | undefined, split: CpuSplit | undefined): void {
  if (split && pid !== undefined) pinProcess(pid, split.server);
}

/** One run's figures; latencies in ms. */
export interface RunFigures {
  /** Closed loop: completed req/s. Open model: the rate asked for. */
  rps: number;
  /** Open model: successful responses per second actually achieved. */
  achieved?: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  requests: number;
  failures: number;
  /** 1-minute load average just before the run. */
  load: number;
  /**
   * The server's own CPU time (user + system, every thread) per completed request, µs, and
   * the share of one CPU it got over the run: on a shared machine a closed loop that got
   * 0.6 of its CPU says the machine, not the server, set its pace.
   */
  cpu?: { perRequestUs: number; share: number; others?: number };
  /** The service only: its event-loop delay during the run, ms (monitorEventLoopDelay). */
  loopDelay?: { p99: number; max: number };
}

/**
 * The service's event-loop delay over one run: prom-client's default metrics read a
 * perf_hooks.monitorEventLoopDelay histogram and reset it at every scrape, so a scrape just
 * before the run starts it afresh and one just after reads the run.
 */
export async function eventLoopDelay(baseUrl: string): Promise<{ p99: number; max: number } | undefined> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text)?.[1]);
    const p99 = read("nodejs_eventloop_lag_p99_seconds");
    const max = read("nodejs_eventloop_lag_max_seconds");
    if (!Number.isFinite(p99) || !Number.isFinite(max)) return undefined;
    return { p99: round(p99 * 1000, 2), max: round(max * 1000, 2) };
  } catch {
    return undefined;
  }
}

const load1 = () => round(os.loadavg()[0] ?? 0, 2);

/** utime + stime of a process in seconds (Linux /proc), or undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Busy seconds (everything but idle and iowait, steal included) of one CPU, from /proc/stat. */
function cpuBusySeconds(cpu: string | undefined): number | undefined {
  if (cpu === undefined || !/^\d+$/.test(cpu)) return undefined;
  try {
    const line = readFileSync("/proc/stat", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`cpu${cpu} `));
    const f = (line ?? "").trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 8) return undefined;
    const total = f.slice(0, 8).reduce((t, v) => t + v, 0);
    return (total - (f[3] ?? 0) - (f[4] ?? 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * Runs `run` and adds the server's CPU figures (see RunFigures.cpu); with a CPU split, also
 * how much of the server's CPU everything else took meanwhile (other tenants, VM steal).
 */
async function withCpu(
  pid: number | undefined,
  serverCpu: string | undefined,
  run: () => Promise<RunFigures>,
): Promise<RunFigures> {
  const before = cpuSeconds(pid);
  const busyBefore = cpuBusySeconds(serverCpu);
  const started = performance.now();
  const figures = await run();
  const after = cpuSeconds(pid);
  const busyAfter = cpuBusySeconds(serverCpu);
  const wall = (performance.now() - started) / 1000;
  if (before === undefined || after === undefined || figures.requests === 0) return figures;
  const used = after - before;
  const busy = busyBefore === undefined || busyAfter === undefined ? undefined : busyAfter - busyBefore;
  return {
    ...figures,
    cpu: {
      perRequestUs: round((used * 1e6) / figures.requests, 1),
      share: round(used / wall, 2),
      ...(busy === undefined ? {} : { others: round(Math.max(0, busy - used) / wall, 2) }),
    },
  };
}

/** Closed loop: `connections` wrk connections, no think time, the runbook mix. */
export async function closedLoop(
  baseUrl: string,
  seconds: number,
  connections: number,
  split: CpuSplit | undefined,
  serverPid?: number,
): Promise<RunFigures> {
  return withCpu(serverPid, split?.server, () => closedLoopRun(baseUrl, seconds, connections, split));
}

async function closedLoopRun(
  baseUrl: string,
  seconds: number,
  connections: number,
  split: CpuSplit | undefined,
): Promise<RunFigures> {
  const load = load1();
  const r = await runWrk({
    baseUrl,
    connections,
    durationSeconds: seconds,
    ...(split ? { cpus: split.generator } : {}),
  });
  const { p50, p95, p99, max } = r.latency;
  return { rps: round(r.rps, 1), p50, p95, p99, max, requests: r.requests, failures: r.failures, load };
}

/** Open model at `rate` req/s (vegeta): arrivals on schedule whatever the answers do. */
export async function openModel(
  baseUrl: string,
  rate: number,
  seconds: number,
  split: CpuSplit | undefined,
  serverPid?: number,
): Promise<RunFigures> {
  return withCpu(serverPid, split?.server, () => openModelRun(baseUrl, rate, seconds, split));
}

async function openModelRun(
  baseUrl: string,
  rate: number,
  seconds: number,
  split: CpuSplit | undefined,
): Promise<RunFigures> {
  const load = load1();
  const r = await runVegeta({
    baseUrl,
    rate,
    durationSeconds: seconds,
    ...(split ? { cpus: split.generator } : {}),
  });
  const { p50, p95, p99, max } = r.latency;
  return {
    rps: rate,
    achieved: round(r.throughput, 1),
    p50,
    p95,
    p99,
    max,
    requests: r.requests,
    failures: r.failures,
    load,
  };
}

/** Resident set size now and its peak over the process's life (VmRSS, VmHWM), MiB; Linux only. */
export function residentMemory(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    const rss = kib("VmRSS");
    const peak = kib("VmHWM");
    if (!Number.isFinite(rss) || !Number.isFinite(peak)) return undefined;
    return { rssMiB: round(rss / 1024, 1), peakMiB: round(peak / 1024, 1) };
  } catch {
    return undefined;
  }
}
