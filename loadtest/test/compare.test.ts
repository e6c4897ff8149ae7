import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type CompareResult, ratio, TARGETS } from "../src/compare/report.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "perf-compare-"));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the npm script end to end, as `task perf:compare` does, into a temp directory. */
function compare(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", "perf:compare", "--", ...args],
      { cwd: root, timeout: 170_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("perf:compare", () => {
  it("refuses a malformed list with a clear message", async () => {
    const run = await compare(["--rates", "fast", "--out-dir", tmp]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--rates must be a comma-separated list/);
  });

  it("measures the three targets with wrk and vegeta, then cold cache, stress and Redis down", async () => {
    const out = path.join(tmp, "report");
    const results = path.join(tmp, "results");
    const run = await compare([
      "--duration",
      "2s",
      "--runs",
      "2",
      "--rates",
      "200",
      "--connections",
      "4,20",
      "--stress-users",
      "50",
      "--out-dir",
      out,
      "--results-dir",
      results,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const files = readdirSync(out).filter((f) => /^compare-\d{4}-\d{2}-\d{2}\.md$/.test(f));
    expect(files).toHaveLength(1);
    const markdown = readFileSync(path.join(out, files[0] as string), "utf8");
    expect(run.stdout).toBe(markdown);
    const r = JSON.parse(readFileSync(path.join(results, "compare.json"), "utf8")) as CompareResult;

    expect(r.runs).toHaveLength(2);
    // The target order rotates from run to run.
    expect(r.runs.map((x) => x.order[0])).toEqual(["a", "b"]);
    for (const x of r.runs) {
      for (const t of TARGETS) {
        for (const c of ["4", "20"]) {
          const f = x.targets[t].closed[c];
          expect(f?.rps, `${t} ${c}`).toBeGreaterThan(0);
          expect(f?.p99, `${t} ${c}`).toBeGreaterThanOrEqual(f?.p50 ?? 0);
          // Every baseline response is right and with Redis up so is (a).
          expect(f?.failures, `${t} ${c}`).toBe(0);
          // The server's own CPU per request, read from /proc around the phase.
          expect(f?.cpu?.perRequestUs, `${t} ${c}`).toBeGreaterThan(0);
        }
        const o = x.targets[t].open["200"];
        expect(o?.requests, t).toBe(400);
        expect(o?.failures, t).toBe(0);
        expect(o?.achieved, t).toBeGreaterThan(150);
        expect(x.targets[t].memory?.rssMiB, t).toBeGreaterThan(0);
      }
    }
    expect(r.cold.failures).toBe(0);
    expect(r.stress.users).toBe(50);
    expect(r.stress.failures).toBe(0);
    expect(r.stress.memoryAfter?.peakMiB).toBeGreaterThan(0);
    expect(r.degraded.rps).toBeGreaterThan(0);
    expect(r.degraded.failures).toBe(0);

    // The report carries the goals, the ratios and the CPU split, figures from the same result.
    expect(markdown).toMatch(/## Goals/);
    expect(markdown).toContain(`- CPU split: ${r.cpuSplit}`);
    const ab = r.runs.map((x) =>
      ratio(x.targets.a.closed["20"]?.rps ?? 0, x.targets.b.closed["20"]?.rps ?? 0),
    );
    expect(markdown).toMatch(/## Closed loop, 20 connections/);
    expect(markdown).toContain(`service/Express req/s ≥ 0.85 at 20 connections`);
    for (const v of ab) expect(markdown).toContain(String(v));
    expect(markdown).toMatch(/## Open model, 200 req\/s/);
    expect(markdown).toMatch(/VmHWM\): \d+(\.\d)? MiB/);
  }, 180_000);
});
