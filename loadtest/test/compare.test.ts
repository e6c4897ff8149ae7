import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseReport, TARGET_LABELS } from "../src/compare/report.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "perf-compare-"));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the npm script end to end, as `task perf:compare` does, into a temp directory. */
function compare(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", "perf:compare", "--", ...args],
      { cwd: root, timeout: 150_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("perf:compare", () => {
  it("refuses --engine k6 with a clear message when it cannot use k6", async () => {
    const run = await compare(["--engine", "k6", "--out-dir", tmp]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/k6 is not installed|only the autocannon engine/);
  });

  it("measures all three targets, the fixed rate and degraded mode, and reports the ratios", async () => {
    const out = path.join(tmp, "report");
    const run = await compare([
      "--duration",
      "2s",
      "--rate",
      "200",
      "--out-dir",
      out,
      "--results-dir",
      path.join(tmp, "results"),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const files = readdirSync(out).filter((f) => /^compare-\d{4}-\d{2}-\d{2}\.md$/.test(f));
    expect(files).toHaveLength(1);
    const { rows, ratios } = parseReport(readFileSync(path.join(out, files[0] as string), "utf8"));

    const closed = rows.filter((r) => r.section.startsWith("Closed loop"));
    const fixed = rows.filter((r) => r.section.startsWith("Fixed arrival rate"));
    const degraded = rows.filter((r) => r.section.startsWith("Degraded mode"));
    const cold = rows.filter((r) => r.section.startsWith("Cold cache"));
    const stress = rows.filter((r) => r.section.startsWith("Stress"));
    expect(cold.map((r) => r.label)).toEqual(["a: cold cache"]);
    expect(stress.map((r) => r.label)).toEqual(["a: 500 connections"]);
    for (const r of [...cold, ...stress]) expect(r.failures, r.label).toBe(0);
    expect(readFileSync(path.join(out, files[0] as string), "utf8")).toMatch(/VmHWM\): \d+(\.\d)? MiB/);
    expect(closed.map((r) => r.label)).toEqual(Object.values(TARGET_LABELS));
    expect(fixed.map((r) => r.label)).toEqual(Object.values(TARGET_LABELS));
    expect(degraded).toHaveLength(1);
    for (const r of [...closed, ...fixed, ...cold, ...stress, ...degraded]) {
      expect(r.rps, r.label).toBeGreaterThan(0);
      expect(r.p50, r.label).toBeGreaterThan(0);
      expect(r.p99, r.label).toBeGreaterThanOrEqual(r.p50);
    }
    // Every baseline response passes the workload's contract checks, and with Redis up so does (a).
    for (const r of [...closed, ...fixed]) expect(r.failures, r.label).toBe(0);

    const [a, b, c] = closed as [(typeof closed)[0], (typeof closed)[0], (typeof closed)[0]];
    expect(ratios["a/b"]).toBeCloseTo(a.rps / b.rps, 2);
    expect(ratios["a/c"]).toBeCloseTo(a.rps / c.rps, 2);
    expect(ratios["degraded/normal"]).toBeCloseTo((degraded[0]?.rps ?? 0) / a.rps, 2);
  }, 180_000);
});
