/**
 * The Redis master is killed under load (Sentinel topology). Sentinel promotes a replica,
 * HAProxy's `role:master` check finds it and cuts the connections to the dead one, and every
 * replica's client reconnects to the new master. The runbook promises: no failed request (disk
 * serves meanwhile), writes accepted again within 10 s, RedisNodeDown tickets for the dead node,
 * and no replica's in-process tier serves a value the new master does not hold. The old master
 * started again rejoins as a replica and the ticket resolves.
 */
import { METRICS } from "../../../lib/contract/metrics.js";
import { JOBS } from "../../../lib/contract/stack.js";
import type { Drill, DrillContext } from "../drill.js";
import type { LoadSample } from "../load.js";
import { tryCommand } from "../redis-control.js";
import { pct } from "../report-format.js";
import { checkNoFailures, latencyAlertsAllowed } from "./expectations.js";
import { everyReplicaCacheUp } from "./replicas.js";

/** The runbook's bound on a failover, from the kill to the first accepted write. */
const WRITES_RECOVER_WITHIN_MS = 10_000;
const PROBE_KEY = "drill:redis-failover:probe";
/** How long a replica may still serve an entry after the master changed it (the invalidation's way). */
const COHERENCE_BOUND_MS = 1_000;
/** A resource whose cache entry the drill replaces on the new master, and the one it copies. */
const PLANTED = { path: "/mcp/resources/templates/adr", key: "resource:templates:adr" };
const STAND_IN = { path: "/mcp/resources/templates/prd", key: "resource:templates:prd" };

async function body(url: string): Promise<string> {
  const response = await fetch(url, {
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(2_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return text;
}

/** Each replica directly where the drill can reach it, else the balancer often enough to meet all. */
function replicaOrigins(ctx: DrillContext): string[] {
  const direct = ctx.target.urls.serviceReplicas;
  if (direct?.length) return [...direct];
  return Array.from({ length: ctx.target.replicas * 2 }, () => ctx.target.urls.service);
}

async function pollUntil(
  what: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

export function redisFailover(): Drill {
  let oldMaster: { name: string; url: string } | undefined;
  let killedAt = 0;
  let writesBack: Promise<number | undefined> | undefined;
  let planted: { from: number; until: number } | undefined;
  const plantedRequest = (sample: LoadSample) =>
    planted !== undefined &&
    sample.path === PLANTED.path &&
    sample.at >= planted.from &&
    sample.at < planted.until;

  return {
    name: "redis-failover",
    redisTopology: "sentinel",
    summary:
      "Redis master killed under load: Sentinel fails over, writes back within 10 s, no stale in-process value, node-down tickets",
    runbookSections: [],
    expect: ["RedisNodeDown"],
    allowed: [
      {
        alert: "ResourceCacheUnavailable",
        why: "each replica's connection is down from the kill until HAProxy leads it to the new master",
      },
      { alert: "ResourceCacheHitRateLow", why: "lookups are misses while no master answers" },
      { alert: "ResourceCacheWritesFailing", why: "fills written while the master is dead are lost" },
      {
        alert: "ScrapeTargetDown",
        why: "the Redis exporter reaches Redis through HAProxy, whose master backend is empty until the failover",
      },
      ...latencyAlertsAllowed("misses are served from disk until the new master answers"),
    ],

    async inject(ctx) {
      oldMaster = await ctx.target.redisMaster();
      // Both entries cached before the kill: the planted one is what a stale tier would keep.
      for (const origin of replicaOrigins(ctx)) {
        await body(`${origin}${PLANTED.path}`);
        await body(`${origin}${STAND_IN.path}`);
      }
      killedAt = Date.now();
      await ctx.target.stopRedisNode(oldMaster.name, { kill: true });
      ctx.step(`Redis master ${oldMaster.name} killed (SIGKILL)`);
      writesBack = (async () => {
        const ok = await pollUntil(
          async () =>
            (await tryCommand(ctx.target.redis, 1_000, "SET", PROBE_KEY, String(Date.now()))) === "OK",
          30_000,
        );
        return ok ? Date.now() - killedAt : undefined;
      })();
    },

    async duringFault(ctx) {
      const recoveredMs = await writesBack;
      ctx.check(
        `writes accepted again within ${WRITES_RECOVER_WITHIN_MS / 1000} s of the kill`,
        recoveredMs !== undefined && recoveredMs <= WRITES_RECOVER_WITHIN_MS,
        recoveredMs === undefined
          ? "no write accepted within 30 s"
          : `first write accepted after ${(recoveredMs / 1000).toFixed(1)} s`,
      );
      const master = await ctx.target.redisMaster();
      ctx.check(
        "Sentinel promoted another node",
        master.name !== oldMaster?.name,
        `master was ${oldMaster?.name}, now ${master.name}`,
      );
      ctx.step(`Sentinel names ${master.name} master; writes back`);

      const reconnected = await pollUntil(() => everyReplicaCacheUp(ctx), 20_000, 500);
      ctx.check(
        "every replica's Redis connection is back (on the new master)",
        reconnected,
        `${METRICS.cacheUp} of job ${JOBS.service}: ${reconnected ? `1 on all ${ctx.target.replicas}` : "not 1 on every replica within 20 s"}`,
      );

      // On the new master only: the entry now holds another resource's body. A replica that
      // kept the old value in its in-process tier would still serve the real one.
      const standIn = await body(`${ctx.target.urls.service}${STAND_IN.path}`);
      const stored = await pollUntil(
        async () => (await tryCommand(ctx.target.redis, 1_000, "EXISTS", STAND_IN.key)) === "1",
        5_000,
      );
      planted = { from: Date.now(), until: Number.POSITIVE_INFINITY };
      await ctx.target.redis.command("COPY", STAND_IN.key, PLANTED.key, "REPLACE");
      const writtenAt = performance.now();
      // Redis pushes the invalidation to each replica's connection as it applies the write; a
      // request can overtake that push by a moment, never by long. Each replica must serve the new
      // master's value within the bound; one that kept the old value in its tier never would.
      const origins = replicaOrigins(ctx);
      const lags = await Promise.all(
        origins.map(async (origin) => {
          while (performance.now() - writtenAt < COHERENCE_BOUND_MS) {
            if ((await body(`${origin}${PLANTED.path}`)) === standIn) return performance.now() - writtenAt;
            await ctx.sleep(20);
          }
          return undefined;
        }),
      );
      const coherent = lags.filter((lag): lag is number => lag !== undefined);
      ctx.check(
        `no replica serves an entry the new master does not hold (beyond ${COHERENCE_BOUND_MS} ms after the write)`,
        stored && coherent.length === origins.length,
        `${PLANTED.key} replaced on the new master; ${coherent.length} of ${origins.length} answers served its value, the slowest after ${Math.round(Math.max(0, ...coherent))} ms`,
      );
      await ctx.target.redis.command("DEL", PLANTED.key);
      // The deletion reaches every tier as an invalidation; a second's grace covers requests in flight.
      await ctx.sleep(1_000);
      planted = { from: planted.from, until: Date.now() };
      ctx.step(`${PLANTED.key} planted on the new master, checked on every replica, deleted`);
    },

    async restore(ctx) {
      if (oldMaster) await ctx.target.startRedisNode(oldMaster.name);
      ctx.step(`${oldMaster?.name ?? "the old master"} started again (rejoins as a replica)`);
    },

    async recovered(ctx) {
      const replication = await ctx.target.redis.info("replication").catch(() => undefined);
      const replicasOnline = Number(replication?.connected_slaves ?? 0);
      const hit = await ctx.query(ctx.rules.hitRatio.overall);
      if (
        replication?.role === "master" &&
        replicasOnline === 2 &&
        (await everyReplicaCacheUp(ctx)) &&
        hit !== undefined &&
        hit >= 0.8
      ) {
        return `master with ${replicasOnline} replicas, every service replica connected, hit ratio ${pct(hit)}`;
      }
      return undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(
        ctx,
        "zero failed requests from before the kill to after recovery (but the planted entry's own)",
        ctx.baselineAt,
        Date.now(),
        plantedRequest,
      );
    },
  };
}
