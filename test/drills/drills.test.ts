/**
 * The runbook drills, end to end, each provider on a stack of its own (free ports, faults
 * enabled, time-scaled rules, three replicas behind HAProxy): every drill on the native twin, and
 * the compose set on docker-compose.yml (the offline images) wherever a Docker engine answers;
 * drills that need Redis with Sentinel (redis-failover) on a second stack of that topology. Each must see its
 * alerts delivered to the webhook and resolved, its inhibitions hold, no other alert
 * delivered, and users see what the runbook promises. Reports land in perf-results/drills/
 * (a CI artifact when something fails).
 *
 * Runs only with DRILLS=1 (`npm run test:drills`): the drills check latency against the
 * runbook's tables and alert on it, so they need the machine to themselves. Inside the
 * parallel `vitest run` other test files saturate the 2 CPUs and push cold-start p99 and the
 * latency alerts over their limits for reasons that are not the drill's fault.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPOSE_DRILL_NAMES, DRILL_NAMES, type DrillName } from "../../infra/drills/drill.js";
import { timelineText, writeReports } from "../../infra/drills/report.js";
import type { DrillResult } from "../../infra/drills/runner.js";
import { byTopology, DrillSession } from "../../infra/drills/session.js";
import { dockerEngineAnswers, type ProviderName } from "../../lib/harness/stack/index.js";
import { REPO_ROOT } from "../../lib/repo.js";

const ENABLED = process.env.DRILLS === "1";
const ENGINE = ENABLED && (await dockerEngineAnswers());

describe.skipIf(ENABLED)("runbook drills", () => {
  it.skip("run alone, with `npm run test:drills` (DRILLS=1)", () => {});
});

const suites: Array<[ProviderName, readonly DrillName[], boolean]> = [
  ["native", DRILL_NAMES, true],
  ["containers", COMPOSE_DRILL_NAMES, ENGINE],
];

for (const [provider, allNames, available] of suites) {
  for (const [redisTopology, names] of byTopology(allNames)) {
    describe.runIf(ENABLED)(`runbook drills on the ${provider} stack, ${redisTopology} Redis`, () => {
      if (!available) {
        if (ENABLED)
          console.warn(`runbook drills: ${provider} SKIPPED: no Docker engine answers on this machine`);
        it.skip("needs a Docker engine", () => {});
        return;
      }
      let session: DrillSession | undefined;
      const results: DrillResult[] = [];
      const startedAt = new Date();

      beforeAll(async () => {
        session = await DrillSession.open({ provider, redisTopology });
        console.info(`runbook drills: ${session.target.description}`);
      }, 300_000);

      afterAll(async () => {
        await session?.close();
        if (results.length) {
          await writeReports(
            path.join(REPO_ROOT, "perf-results/drills", `${provider}-${redisTopology}`),
            results,
            startedAt,
          );
        }
      }, 120_000);

      it.each(names.map((name) => [name]))(
        "%s",
        async (name) => {
          if (!session) throw new Error("no stack");
          const result = await session.run(name);
          results.push(result);
          console.info(
            `${provider} ${name}: ${result.passed ? "passed" : "FAILED"} in ${(result.durationMs / 1000).toFixed(1)} s`,
          );
          expect(result.failures, `${name}\n${timelineText(result)}`).toEqual([]);
        },
        240_000,
      );
    });
  }
}
