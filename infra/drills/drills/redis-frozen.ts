/**
 * Redis hangs under load: the process is stopped (SIGSTOP natively, `docker compose pause` in
 * compose) with its sockets open, so connections stay up and commands get no answer. Unlike a
 * dead Redis nothing is refused: only the service's health check (a PING that must answer
 * within the cache timeout) can tell. The runbook promises the same as for redis-down: served
 * from disk, no request stuck on Redis longer than the cache timeout, cache-unavailable
 * tickets, readiness degraded (not failed). Resumed: alerts resolve, the hit rate recovers.
 */
import type { Drill } from "../drill.js";
import { phaseStats } from "../load-stats.js";
import { ms, pct } from "../report-format.js";
import { checkNoFailures, latencyAlertsAllowed } from "./expectations.js";
import { everyReplicaCacheUp } from "./replicas.js";

/** A lookup may wait this long on a hung Redis (the default CACHE_TIMEOUT_MS is 50 ms). */
const LOOKUP_BOUND_SECONDS = 0.1;

export function redisFrozen(): Drill {
  return {
    name: "redis-frozen",
    summary:
      "Redis hung (paused) under load: served from disk, cache-unavailable tickets, readiness degraded",
    runbookSections: ["Issue: p95 Latency >100ms"],
    expect: ["ResourceCacheUnavailable"],
    allowed: [
      {
        alert: "ResourceCacheHitRateLow",
        why: "lookups become misses; inhibited by ResourceCacheUnavailable while both fire",
      },
      {
        alert: "ScrapeTargetDown",
        why: "the Redis exporter's scrape waits on the hung Redis past the scrape timeout",
      },
      ...latencyAlertsAllowed(
        "every lookup is a miss served from disk, so latency rises with the host's load",
      ),
    ],

    async inject(ctx) {
      await ctx.target.freezeComponent("redis");
      ctx.step("Redis frozen (process stopped, sockets open)");
    },

    async duringFault(ctx) {
      const outage = phaseStats(ctx.load.samples(ctx.injectedAt));
      ctx.check(
        "requests while Redis hangs are served",
        outage.requests > 0 && outage.failures === 0,
        `${outage.requests} requests, ${outage.failures} failed, ${pct(outage.missRatio)} X-Cache: MISS`,
      );
      const lookups = await ctx.queryAll(ctx.rules.cacheLatency(0.99));
      const slowest = Math.max(0, ...lookups.map((s) => s.value).filter(Number.isFinite));
      ctx.check(
        `no lookup waits on the hung Redis past the cache timeout (p99 lookup at most ${LOOKUP_BOUND_SECONDS * 1000} ms)`,
        lookups.length > 0 && slowest <= LOOKUP_BOUND_SECONDS,
        `p99 lookup ${ms(slowest * 1000)}; users saw p50 ${ms(outage.p50)}, p95 ${ms(outage.p95)}, p99 ${ms(outage.p99)}`,
      );
      const response = await fetch(`${ctx.target.urls.service}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { status?: string };
      ctx.check(
        "readiness says degraded, and stays ready (disk still serves)",
        response.status === 200 && body.status === "degraded",
        `GET /readyz: ${response.status} ${JSON.stringify(body)}`,
      );
    },

    async restore(ctx) {
      await ctx.target.thawComponent("redis");
      ctx.step("Redis resumed");
    },

    async recovered(ctx) {
      const hit = await ctx.query(ctx.rules.hitRatio.overall);
      if ((await everyReplicaCacheUp(ctx)) && hit !== undefined && hit >= 0.8)
        return `cache up on every replica, hit ratio ${pct(hit)}`;
      return undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "zero failed requests from before the hang to after recovery", ctx.baselineAt);
    },
  };
}
