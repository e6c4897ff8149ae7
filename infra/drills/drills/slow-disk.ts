/**
 * Slow disk: every content file read takes 300 ms longer (fault fileReadDelayMs) while the
 * cache keeps being emptied, so requests keep missing and reading from disk. The p95 and p99
 * alerts fire, the latency SLO pages (fast burn) and its slow burn is inhibited by it; the
 * per-type, per-cache-result p95 (runbook diagnosis step 2) shows slow misses and fast hits,
 * which points at the disk. Removed: everything resolves.
 */

import type { ResourceType } from "../../../lib/contract/resource-kinds.js";
import { shippedResources } from "../../../lib/workload/catalogue.js";
import type { Drill } from "../drill.js";
import { phaseStats, statsByType } from "../load-stats.js";
import { ms, pct, table } from "../report-format.js";
import { checkNoFailures } from "./expectations.js";

/** Above the 200 ms p99 target, so both latency alerts have something to see. */
const FILE_READ_DELAY_MS = 300;
/** Often enough that the hot keys miss most of the time, not just once after a flush. */
const EMPTY_EVERY_MS = 100;
const AFFECTED: readonly ResourceType[] = ["sdlc", "patterns", "templates"];

export function slowDisk(): Drill {
  let stopEmptying: (() => Promise<void>) | undefined;
  return {
    name: "slow-disk",
    summary: `file reads ${FILE_READ_DELAY_MS} ms slower with Redis kept flushed: p95/p99 alerts, latency SLO pages`,
    runbookSections: ["Issue: p95 Latency >100ms", "Issue: High p99 Latency (>200ms)"],
    expect: ["ResourceLoadingLatencyP95High", "ResourceLoadingLatencyP99High", "ResourceLatencySLOFastBurn"],
    inhibited: [{ alert: "ResourceLatencySLOSlowBurn", by: "ResourceLatencySLOFastBurn" }],
    allowed: [
      {
        alert: "ResourceCacheHitRateLow",
        why: "the drill empties the cache on purpose, so the hit rate is low by construction",
      },
    ],

    async inject(ctx) {
      await ctx.target.faults.set({ fileReadDelayMs: FILE_READ_DELAY_MS });
      const keys = cacheKeys(AFFECTED);
      stopEmptying = every(EMPTY_EVERY_MS, () => ctx.target.redis.del(keys));
      ctx.step(
        `fileReadDelayMs=${FILE_READ_DELAY_MS}; deleting the ${keys.length} resource keys every ${EMPTY_EVERY_MS} ms`,
      );
    },

    async duringFault(ctx) {
      const seen = phaseStats(ctx.load.samples(ctx.injectedAt));
      ctx.check(
        "users see the slow disk (p95 over the 100 ms target)",
        seen.p95 > 100,
        `p50 ${ms(seen.p50)}, p95 ${ms(seen.p95)}, p99 ${ms(seen.p99)}`,
      );
      // Runbook diagnosis step 2: slow misses with fast hits means disk, not Redis.
      const byResult = await ctx.queryAll(ctx.rules.latency(0.95, "byTypeAndResult"));
      const rows = byResult
        .filter((s) => Number.isFinite(s.value))
        .map((s) => `${s.labels.resource_type}/${s.labels.cache_result} ${ms(s.value * 1000)}`);
      // A type with no hits in the window has no hit p95 (NaN): nothing to compare against.
      const hitOf = (type: string | undefined) => {
        const v = byResult.find(
          (h) => h.labels.resource_type === type && h.labels.cache_result === "hit",
        )?.value;
        return v !== undefined && Number.isFinite(v) ? v : 0;
      };
      const misses = byResult.filter((m) => m.labels.cache_result === "miss");
      ctx.check(
        "p95 by resource type and cache result points at the disk (misses slow, and slower than hits)",
        misses.length > 0 && misses.every((m) => m.value > 0.1 && m.value > hitOf(m.labels.resource_type)),
        rows.join(", ") || "no data",
      );
      const byType = statsByType(ctx.load.samples(ctx.injectedAt));
      ctx.section(
        table(
          ["resource type", "requests", "miss ratio", "p50", "p95", "p99"],
          Object.entries(byType).map(([type, s]) => [
            type,
            String(s.requests),
            pct(s.missRatio),
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
          ]),
        ),
      );
    },

    async restore(ctx) {
      await stopEmptying?.();
      stopEmptying = undefined;
      await ctx.target.faults.clear();
    },

    async recovered(ctx) {
      const p95 = await ctx.query(ctx.rules.latency(0.95, "overall"));
      return p95 !== undefined && p95 < 0.1 ? `p95 back to ${ms(p95 * 1000)}` : undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "slow, never failing: zero failed requests", ctx.baselineAt);
    },
  };
}

/** The contract's cache keys of every shipped resource of the given types. */
function cacheKeys(types: readonly ResourceType[]): string[] {
  return shippedResources()
    .filter((ref) => types.includes(ref.type))
    .map((ref) => ref.cacheKey);
}

/** Calls `tick` every `intervalMs` (skipping a beat while one still runs) until stopped. */
function every(intervalMs: number, tick: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= tick()
      .catch(() => {})
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
