/**
 * Cache cold start: Redis flushed under load. The first requests for each resource miss and
 * read from disk; the runbook's "Expected Results (Cache Cold Start)" table says how slow
 * that may be per resource type. Measured over the first seconds after FLUSHALL, against
 * that table; no alert may fire (the cache refills long before the hit-rate alert's `for`).
 */
import { RESOURCE_TYPES } from "../../../lib/contract/resource-kinds.js";
import type { Drill } from "../drill.js";
import { type PhaseStats, phaseStats, statsByType } from "../load-stats.js";
import { ms, pct, table } from "../report-format.js";
import { coldStartTargets, type LatencyTargets } from "../runbook-tables.js";
import { checkNoFailures } from "./expectations.js";

/** The cold window: every resource of the workload is requested in it at least once or so. */
const COLD_WINDOW_MS = 10_000;

const LABELS = { sdlc: "SDLC Core", patterns: "Patterns", templates: "Templates", combined: "**Combined**" };

export function coldStart(): Drill {
  return {
    name: "cold-start",
    summary: "Redis flushed under load: cold-start latency per resource type against the runbook's table",
    runbookSections: ["Expected Results (Cache Cold Start)"],
    expect: [],

    async inject(ctx) {
      await ctx.target.redis.flushAll();
      ctx.step("FLUSHALL");
    },

    async duringFault(ctx) {
      await ctx.sleep(Math.max(0, ctx.injectedAt + COLD_WINDOW_MS + 1_000 - Date.now()));
      const targets = await coldStartTargets();
      const cold = ctx.load.samples(ctx.injectedAt, ctx.injectedAt + COLD_WINDOW_MS);
      const warm = phaseStats(ctx.load.samples(ctx.baselineAt, ctx.injectedAt));
      const rows: Array<[keyof typeof LABELS, PhaseStats]> = [
        ...RESOURCE_TYPES.map((t) => [t, statsByType(cold)[t]] as [keyof typeof LABELS, PhaseStats]),
        ["combined", phaseStats(cold)],
      ];
      // "ok"/"over" rather than emoji: table padding counts characters, not display width.
      const cell = (value: number, limit: number) =>
        `${ms(value)} ${value < limit ? "ok" : "over"} (<${limit}ms)`;
      const tableRows: string[][] = [];
      for (const [row, s] of rows) {
        const t: LatencyTargets = targets[row];
        tableRows.push([
          LABELS[row],
          String(s.requests),
          pct(s.missRatio),
          cell(s.p50, t.p50),
          cell(s.p95, t.p95),
          cell(s.p99, t.p99),
        ]);
        ctx.check(
          `cold start ${row} within the runbook's table`,
          s.requests > 0 && s.p50 < t.p50 && s.p95 < t.p95 && s.p99 < t.p99,
          `p50 ${ms(s.p50)} (<${t.p50}), p95 ${ms(s.p95)} (<${t.p95}), p99 ${ms(s.p99)} (<${t.p99}), ${s.requests} requests, ${pct(s.missRatio)} misses`,
        );
      }
      ctx.section(
        [
          `Cold window: the first ${COLD_WINDOW_MS / 1000} s after FLUSHALL. Warm before it: p50 ${ms(warm.p50)}, p95 ${ms(warm.p95)}, p99 ${ms(warm.p99)}.`,
          "",
          table(
            ["Resource Type", "requests", "misses", "p50 Latency", "p95 Latency", "p99 Latency"],
            tableRows,
          ),
        ].join("\n"),
      );
      const combined = phaseStats(cold);
      ctx.check(
        "the flush really made requests miss",
        combined.missRatio > 0,
        `${pct(combined.missRatio)} of the cold window's requests missed`,
      );
    },

    async restore() {
      // Nothing to undo: the cache refills itself.
    },

    async recovered(ctx) {
      const hit = await ctx.query(ctx.rules.hitRatio.overall);
      return hit !== undefined && hit >= 0.8 ? `cache refilled, hit ratio ${pct(hit)}` : undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "zero failed requests through the cold start", ctx.baselineAt);
    },
  };
}
