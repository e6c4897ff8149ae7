/**
 * Redis maxmemory lowered below the working set (CONFIG SET, allkeys-lfu as in redis.conf):
 * every fill now evicts another key. RedisEvictingKeys tickets, evicted_keys grows, the hit
 * rate falls and misses move the tail latency. maxmemory restored: evictions stop, resolves.
 * With the in-process tier, hot keys are read from Redis only when they were evicted, so
 * evictions come in bursts and the time-scaled RedisEvictingKeys may resolve and re-arm during
 * the fault; what counts is that it fired and is resolved once maxmemory is back.
 */
import type { Drill } from "../drill.js";
import { phaseStats } from "../load-stats.js";
import { ms, pct, table } from "../report-format.js";
import { checkNoFailures, latencyAlertsAllowed } from "./expectations.js";

/** The share of the cached data that no longer fits. */
const EVICTED_SHARE = 0.25;

export function evictions(): Drill {
  let original: string | undefined;
  let evictedBefore = 0;
  return {
    name: "evictions",
    summary: "Redis maxmemory below the working set: eviction ticket, hit rate falls, p99 moves",
    runbookSections: ["Issue: High p99 Latency (>200ms)"],
    expect: ["RedisEvictingKeys"],
    allowed: [
      {
        alert: "ResourceCacheHitRateLow",
        why: "evicted keys come back as misses (the in-process tier drops them too, on Redis's invalidation)",
      },
      {
        alert: "ResourceCacheWritesFailing",
        why: "at maxmemory Redis answers OOM to a write it cannot evict enough for (large bodies, reply buffers)",
      },
      ...latencyAlertsAllowed(
        "misses read and compress from disk: the runbook's p99 diagnosis starts at evicted_keys",
      ),
    ],

    async inject(ctx) {
      const redis = ctx.target.redis;
      original = await redis.configGet("maxmemory");
      const memory = await redis.info("memory");
      const used = Number(memory.used_memory);
      const dataset = Number(memory.used_memory_dataset);
      evictedBefore = Number((await redis.info("stats")).evicted_keys);
      // Room for about three quarters of the cached bodies on top of Redis' own overhead: too
      // small for the working set, so every fill evicts, yet the hottest keys mostly fit (at
      // half, the reply buffers of large values alone push Redis over and nearly nothing
      // survives, which is an outage rather than evictions).
      const limit = Math.round(used - dataset * EVICTED_SHARE);
      await redis.configSet("maxmemory", String(limit));
      ctx.step(
        `maxmemory ${original} -> ${limit} bytes (used ${used}, cached data ${dataset}; evicted_keys ${evictedBefore})`,
      );
    },

    async duringFault(ctx) {
      const evicted = Number((await ctx.target.redis.info("stats")).evicted_keys);
      ctx.check(
        "Redis evicts (INFO stats evicted_keys grows)",
        evicted > evictedBefore,
        `evicted_keys ${evictedBefore} -> ${evicted}`,
      );
      const before = phaseStats(ctx.load.samples(ctx.baselineAt, ctx.injectedAt));
      const during = phaseStats(ctx.load.samples(ctx.injectedAt));
      ctx.check(
        "the hit rate users get falls",
        1 - during.missRatio < 1 - before.missRatio,
        `hits ${pct(1 - before.missRatio)} before, ${pct(1 - during.missRatio)} while evicting`,
      );
      ctx.section(
        table(
          ["phase", "requests", "hit ratio", "p50", "p95", "p99"],
          [
            ["before", before],
            ["evicting", during],
          ].map(([name, st]) => {
            const s = st as typeof before;
            return [
              name as string,
              String(s.requests),
              pct(1 - s.missRatio),
              ms(s.p50),
              ms(s.p95),
              ms(s.p99),
            ];
          }),
        ),
      );
      // Reported, not gated: on a busy host the p99 before is as noisy as the one during.
      ctx.step(`p99 ${ms(before.p99)} before, ${ms(during.p99)} while evicting`);
    },

    async restore(ctx) {
      if (original !== undefined) await ctx.target.redis.configSet("maxmemory", original);
    },

    async recovered(ctx) {
      const rate = await ctx.query(ctx.rules.redisEvictionRate);
      const hit = await ctx.query(ctx.rules.hitRatio.overall);
      if (rate === 0 && hit !== undefined && hit >= 0.8) return `no evictions, hit ratio ${pct(hit)}`;
      return undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "zero failed requests", ctx.baselineAt);
    },
  };
}
