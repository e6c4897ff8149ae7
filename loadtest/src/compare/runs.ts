/**
 * The pieces perf:compare is made of: the URL catalogue, capturing the service's responses,
 * starting a baseline server child, a closed-loop run (the autocannon engine) and a
 * constant-arrival-rate run (arrival-rate.ts), each returning plain figures.
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
import type { ArrivalRateResult } from "../engines/arrival-rate.js";
import { runAutocannon } from "../engines/autocannon.js";
import { round } from "../workload/numbers.js";
import { PROFILES, type Profile } from "../workload/profiles.js";
import type { BaselineKind, CapturedResponse } from "./baseline-server.js";

/** The headers autocannon sends for the workload; the capture sends the same ones. */
export const REQUEST_HEADERS = { accept: "application/json", "user-agent": "mcp-loadtest-autocannon" };

/** Headers copied into the baselines: what shapes the bytes on the wire, nothing per-request. */
const KEPT_HEADERS = ["content-type", "etag", "cache-control", "vary"];

export const CONNECTIONS = 100;

/** The runbook mix at 100 connections, all opened at once: a ramp would skew short runs. */
export const COMPARE_PROFILE: Profile = { ...PROFILES.full, spawnRate: CONNECTIONS };

/** Every path+query the workload can produce (see planRequest in workload.ts). */
export function workloadUrls(): string[] {
  const listings = (RESOURCE_KINDS as readonly ResourceKind[]).flatMap((kind) => listingPath(kind) ?? []);
  return [...shippedResources().map(resourcePath), ...listings];
}

/** GET one URL with node:http (not fetch, which would ask for and undo compression). */
function get(baseUrl: string, url: string): Promise<CapturedResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${url}`, { headers: REQUEST_HEADERS, timeout: 10_000 }, (res) => {
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

/** Captures every workload URL once (which also warms the service's cache) into a file. */
export async function captureResponses(baseUrl: string, file: string): Promise<number> {
  const out: Record<string, CapturedResponse> = {};
  for (const url of workloadUrls()) {
    const r = await get(baseUrl, url);
    if (r.status !== 200) throw new Error(`capture: GET ${url} returned ${r.status}`);
    out[url] = r;
  }
  writeFileSync(file, JSON.stringify(out));
  return Object.keys(out).length;
}

export interface Baseline {
  baseUrl: string;
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
  return { baseUrl: `http://127.0.0.1:${port}`, stop };
}

export interface RunFigures {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  failures: number;
  failureRate: number;
  /** 1-minute load average just before and just after the run. */
  load: { before: number; after: number };
  /** Top failure reasons, for the notes. */
  reasons: Record<string, number>;
  /** Fixed-rate runs: p99 of how late the generator sent against schedule, ms. */
  sendLagP99?: number;
}

const load1 = () => round(os.loadavg()[0] ?? 0, 2);

/** The stress profile's 500 users, all at once, for the memory reading. */
export const STRESS_PROFILE: Profile = { ...PROFILES.stress, spawnRate: PROFILES.stress.users };

/** Closed loop: 100 connections (or `profile`'s users), no think time, the runbook mix, every response checked. */
export async function closedLoop(
  baseUrl: string,
  seconds: number,
  testId: string,
  profile: Profile = COMPARE_PROFILE,
): Promise<RunFigures> {
  const before = load1();
  const s = await runAutocannon({
    baseUrl,
    profile,
    durationSeconds: seconds,
    thresholds: [],
    testId,
    seed: 42,
  });
  const o = s.overall;
  return {
    rps: o.rps,
    p50: o.p50,
    p95: o.p95,
    p99: o.p99,
    requests: o.requests,
    failures: o.failures,
    failureRate: o.failureRate,
    load: { before, after: load1() },
    reasons: s.failureReasons,
  };
}

/** Runs arrival-rate-cli.ts in a child process (see there why) and returns its result. */
function arrivalRateInChild(args: string[], onRecordingStart?: () => void): Promise<ArrivalRateResult> {
  const entry = path.join(REPO_ROOT, "loadtest", "src", "engines", "arrival-rate-cli.ts");
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buffered = "";
    let result: ArrivalRateResult | undefined;
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === "recording") onRecordingStart?.();
        else if (line.startsWith("{")) result = JSON.parse(line) as ArrivalRateResult;
        newline = buffered.indexOf("\n");
      }
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`arrival-rate run exited with code ${code}`)),
    );
  });
}

/**
 * Unrecorded seconds at the rate before a fixed-rate run records: without them the p99 of a
 * 30 s run is the generator's own start (JIT, opening connections): 20 ms against bare
 * node:http at 1,000 req/s, 3 ms with them.
 */
export function fixedRateWarmupSeconds(seconds: number): number {
  return Math.max(1, Math.min(5, Math.round(seconds / 6)));
}

/**
 * Open loop at a constant arrival rate (see arrival-rate.ts): requests are spaced evenly,
 * up to 100 in flight. Latency runs from each request's send to the end of its body, as k6
 * measures it; an arrival that finds all connections busy is dropped and counted as a failure.
 */
export async function fixedRate(
  baseUrl: string,
  rate: number,
  seconds: number,
  onRecordingStart?: () => void,
): Promise<RunFigures> {
  const before = load1();
  const r = await arrivalRateInChild(
    [
      "--base-url",
      baseUrl,
      "--rate",
      String(rate),
      "--seconds",
      String(seconds),
      "--warmup-seconds",
      String(fixedRateWarmupSeconds(seconds)),
      "--max-in-flight",
      String(CONNECTIONS),
    ],
    onRecordingStart,
  );
  const reasons: Record<string, number> = { ...r.failures };
  if (r.dropped > 0) reasons[`dropped: all ${CONNECTIONS} connections busy`] = r.dropped;
  const failures = Object.values(reasons).reduce((t, v) => t + v, 0);
  const requests =
    r.completed +
    r.dropped +
    Object.entries(r.failures).reduce((t, [k, v]) => (k.startsWith("status") ? t : t + v), 0);
  const ms = (us: number) => round(us / 1000);
  return {
    rps: round(r.completed / r.elapsedSeconds, 2),
    p50: ms(r.latency.p50),
    p95: ms(r.latency.p95),
    p99: ms(r.latency.p99),
    requests,
    failures,
    failureRate: requests === 0 ? 0 : round(failures / requests, 6),
    load: { before, after: load1() },
    reasons,
    sendLagP99: ms(r.sendLag.p99),
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
