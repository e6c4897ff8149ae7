import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { renderFromSaved, runBenchmark } from "../src/benchmark/benchmark.js";
import { runProfile } from "../src/profile/profile.js";
import type { RunSummary } from "../src/workload/summary.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "perf-tasks-"));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an npm script the way .ci/run does, with extra CLI flags. */
async function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", script, "--", ...args],
      {
        cwd: root,
        env: { ...process.env, BASE_URL: undefined, PERF_BASE_URL: undefined, ...env },
        timeout: 90_000,
        maxBuffer: 10 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const readSummary = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8")) as RunSummary;

/**
 * The runbook's Quick Performance Check as CI runs it (`npm run perf:ci`: quick profile,
 * a real redis-server and the real service self-hosted on free ports), shortened to 3 s so
 * the suite stays fast. The heavy tests share this file so that they run one after another.
 */
describe("the Quick Performance Check (npm run perf:ci)", () => {
  // A latency check on a 2-core machine shared with other test files: 10 users (not 30) and
  // one retry keep a noisy neighbour from failing it; a real regression fails every attempt.
  it("exits 0 on a healthy service, with every report written", { retry: 1, timeout: 90_000 }, async () => {
    const out = path.join(tmp, "healthy");
    const run = await npmRun("perf:ci", [
      "--duration",
      "3s",
      "--users",
      "10",
      "--spawn-rate",
      "10",
      "--out",
      out,
      "--quiet",
    ]);
    const summary = readSummary(out);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/RESULT: PASS/);
    expect(summary).toMatchObject({ engine: "autocannon", profile: "quick", passed: true });
    expect(summary.config).toEqual({ users: 10, spawnRate: 10, durationSeconds: 3 });
    expect(summary.overall.failures).toBe(0);
    expect(summary.overall.requests).toBeGreaterThan(200);
    expect(summary.overall.p95).toBeLessThan(100);
    for (const t of ["sdlc", "patterns", "templates"] as const) {
      expect(summary.byResourceType[t].requests).toBeGreaterThan(0);
    }
    for (const file of ["summary.txt", "stats.csv", "history.csv", "report.html"]) {
      expect(readFileSync(path.join(out, file), "utf8").length, file).toBeGreaterThan(50);
    }
  });

  it("exits non-zero when a threshold is breached (p95 limit lowered to 0.01 ms)", async () => {
    const out = path.join(tmp, "breach");
    const run = await npmRun("perf:ci", ["--duration", "3s", "--out", out, "--quiet"], {
      PERF_THRESHOLDS: "p95=0.01",
    });
    const summary = readSummary(out);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/RESULT: FAIL - 1 threshold breached/);
    expect(summary.passed).toBe(false);
    expect(summary.overall.failures).toBe(0);
    expect(summary.thresholds.find((t) => t.scope === "overall" && t.stat === "p95")).toMatchObject({
      ok: false,
      gating: true,
      limit: 0.01,
      source: "override",
    });
  }, 90_000);

  it("refuses a target that is not this machine before sending anything", async () => {
    const run = await npmRun("perf:test:quick", ["--base-url", "http://10.20.30.40:8000", "--quiet"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing to load-test 10\.20\.30\.40/);
  }, 60_000);

  it("says clearly when k6 is asked for but not installed", async () => {
    const run = await npmRun("perf:test:quick", ["--engine", "k6", "--quiet"], { K6_BIN: "/nonexistent/k6" });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no `k6` binary found/);
  }, 60_000);
});

describe("perf:profile", () => {
  it("profiles the real service under load and writes a flame graph a browser opens", async () => {
    const outDir = path.join(tmp, "profile");
    const result = await runProfile({
      durationSeconds: 3,
      hz: 500,
      loadProfile: "warmup",
      outDir,
      quiet: true,
    });
    expect(existsSync(result.cpuprofile)).toBe(true);
    expect(result.samples).toBeGreaterThan(100);
    const html = readFileSync(result.html, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<svg");
    // The service's own request path shows up in the graph.
    expect(html).toMatch(/service\/src\/[a-z/-]+\.ts/);
    expect(readFileSync(result.svg, "utf8")).toMatch(/^<\?xml[^>]*>\n<svg /);
    expect(existsSync(path.join(outDir, "load", "summary.json"))).toBe(true);
  }, 60_000);
});

describe("perf:benchmark", () => {
  it("runs cold (flushed), warmup and warm phases and fills the runbook's baseline tables", async () => {
    const outDir = path.join(tmp, "bench");
    const reportFile = path.join(tmp, "baseline.md");
    const { report, phases } = await runBenchmark({
      coldSeconds: 2,
      warmupSeconds: 1,
      warmSeconds: 2,
      outDir,
      reportFile,
      quiet: true,
    });
    expect(phases.map((p) => p.name)).toEqual(["cold", "warmup", "warm"]);
    const [cold, , warm] = phases;
    // After FLUSHALL the first lookups miss; by the warm phase nearly everything hits.
    expect(cold?.hitRatios.combined.misses).toBeGreaterThan(0);
    expect(warm?.hitRatios.combined.ratio).toBeGreaterThan(0.9);
    expect(cold?.summary.byCacheResult?.miss?.requests).toBeGreaterThan(0);
    expect(readFileSync(reportFile, "utf8")).toBe(report);
    expect(report).toMatch(/^# Baseline Performance - \d{4}-\d{2}-\d{2}/);
    expect(report).toContain(`**Node.js:** ${process.version}`);
    expect(report).toMatch(/\*\*Hardware:\*\* .+, \d+ logical CPUs/);
    expect(report).toMatch(
      /### Results \(Cache Warm\)\n[\s\S]*\| SDLC Core +\| \d+\.\d% [✅❌] +\| \d+\.\d ms/,
    );
    expect(report).toMatch(/### Results \(Cache Cold Start\)\n[\s\S]*\| \*\*Combined\*\* +\|/);
    expect(report).toContain("the warm run ran 2 s instead of the profile's 300 s");
    expect(report).toMatch(/\| Cache errors \(get\/set\) +\| Load avg \(start → end\) +\|/);
    // Tables come out the way `biome format` lays out Markdown, so `biome check` accepts the report.
    const biome = path.join(root, "node_modules", ".bin", "biome");
    const formatted = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        biome,
        ["format", "--stdin-file-path=docs/benchmarks/baseline.md"],
        { cwd: root },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end(report);
    });
    expect(formatted).toBe(report);
    expect(report).toContain("## Reading the numbers");
    expect(existsSync(path.join(outDir, "warm", "report.html"))).toBe(true);
    // The report can be rendered again from the saved raw data.
    expect(renderFromSaved(path.join(outDir, "benchmark.json"))).toBe(report);
  }, 90_000);
});
