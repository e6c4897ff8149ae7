/**
 * Redis stops under load. The runbook promises the service keeps serving from disk (no
 * failed request, no request stuck on Redis), ResourceCacheUnavailable tickets, and the
 * low hit rate it causes is not a second ticket (inhibited). Redis back: alerts resolve and
 * the hit rate recovers.
 */
import type { Drill } from "../drill.js";
import { phaseStats } from "../load-stats.js";
import { ms, pct } from "../report-format.js";
import { checkNoFailures, latencyAlertsAllowed } from "./expectations.js";
import { everyReplicaCacheUp } from "./replicas.js";

export function redisDown(): Drill {
  return {
    name: "redis-down",
    summary:
      "Redis stopped under load: served from disk, cache-unavailable tickets, hit-rate ticket inhibited",
    runbookSections: ["Issue: p95 Latency >100ms"],
    expect: ["ResourceCacheUnavailable"],
    inhibited: [{ alert: "ResourceCacheHitRateLow", by: "ResourceCacheUnavailable" }],
    allowed: latencyAlertsAllowed(
      "every request is a miss served from disk, so latency rises with the host's load",
    ),

    async inject(ctx) {
      await ctx.target.stopComponent("redis");
      ctx.step("Redis stopped");
    },

    async duringFault(ctx) {
      const outage = phaseStats(ctx.load.samples(ctx.injectedAt));
      ctx.check(
        "requests during the outage are served from disk",
        outage.requests > 0 && outage.failures === 0 && outage.missRatio > 0.95,
        `${outage.requests} requests, ${outage.failures} failed, ${pct(outage.missRatio)} X-Cache: MISS`,
      );
      // The contract: no request waits on an unreachable Redis for more than a few ms. What
      // users wait for instead is the disk read and compression of every miss (reported).
      const lookups = await ctx.queryAll(ctx.rules.cacheLatency(0.99));
      const slowest = Math.max(0, ...lookups.map((s) => s.value).filter(Number.isFinite));
      ctx.check(
        "no lookup waits on the dead Redis (p99 cache lookup under 5 ms)",
        lookups.length > 0 && slowest < 0.005,
        `p99 lookup ${ms(slowest * 1000)}; users saw p50 ${ms(outage.p50)}, p95 ${ms(outage.p95)}, p99 ${ms(outage.p99)}`,
      );
    },

    async restore(ctx) {
      await ctx.target.startComponent("redis");
      ctx.step("Redis started (empty: no persistence)");
    },

    async recovered(ctx) {
      const hit = await ctx.query(ctx.rules.hitRatio.overall);
      if ((await everyReplicaCacheUp(ctx)) && hit !== undefined && hit >= 0.8)
        return `cache up on every replica, hit ratio ${pct(hit)}`;
      return undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "zero failed requests from before the outage to after recovery", ctx.baselineAt);
    },
  };
}
