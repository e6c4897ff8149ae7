/**
 * Every runbook drill, end to end, on one native stack of its own (free ports, faults
 * enabled, time-scaled rules): each must see its alerts delivered to the webhook and
 * resolved, its inhibitions hold, no other alert delivered, and users see what the runbook
 * promises. Reports land in perf-results/drills/ (a CI artifact when something fails).
 *
 * Runs only with DRILLS=1 (`npm run test:drills`): the drills check latency against the
 * runbook's tables and alert on it, so they need the machine to themselves. Inside the
 * parallel `vitest run` other test files saturate the 2 CPUs and push cold-start p99 and the
 * latency alerts over their limits for reasons that are not the drill's fault.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../infra/src/paths.js";
import { DRILL_NAMES } from "../../scripts/drills/drill.js";
import { timelineText, writeReports } from "../../scripts/drills/report.js";
import type { DrillResult } from "../../scripts/drills/runner.js";
import { DrillSession } from "../../scripts/drills/session.js";

const ENABLED = process.env.DRILLS === "1";

describe.skipIf(ENABLED)("runbook drills", () => {
  it.skip("run alone, with `npm run test:drills` (DRILLS=1)", () => {});
});

describe.runIf(ENABLED)("runbook drills on the native stack", () => {
  let session: DrillSession | undefined;
  const results: DrillResult[] = [];
  const startedAt = new Date();

  beforeAll(async () => {
    session = await DrillSession.open();
  }, 300_000);

  afterAll(async () => {
    await session?.close();
    if (results.length) {
      await writeReports(path.join(REPO_ROOT, "perf-results/drills"), results, startedAt);
    }
  }, 120_000);

  it.each(DRILL_NAMES.map((name) => [name]))(
    "%s",
    async (name) => {
      if (!session) throw new Error("no stack");
      const result = await session.run(name);
      results.push(result);
      console.info(
        `${name}: ${result.passed ? "passed" : "FAILED"} in ${(result.durationMs / 1000).toFixed(1)} s`,
      );
      expect(result.failures, `${name}\n${timelineText(result)}`).toEqual([]);
    },
    240_000,
  );
});
