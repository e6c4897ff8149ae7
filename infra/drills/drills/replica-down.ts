/**
 * One of N replicas crashes (SIGKILL) under load. HAProxy takes it out of rotation and retries
 * what it did not answer on another replica, so users see no failure; ResourceServiceReplicaDown
 * tickets and nothing pages (the service as a whole still answers). Started again: the balancer
 * routes to it once /readyz answers, the ticket resolves.
 */
import { JOBS } from "../../../lib/contract/stack.js";
import type { Drill, DrillContext } from "../drill.js";
import { phaseStats } from "../load-stats.js";
import { pct } from "../report-format.js";
import { checkNoFailures, latencyAlertsAllowed } from "./expectations.js";
import { balancerActiveReplicas } from "./replicas.js";

/** The middle replica: neither the first one started nor the last. */
const VICTIM = 1;

const upReplicas = (ctx: DrillContext) => ctx.query(`count(up{job="${JOBS.service}"} == 1)`);

export function replicaDown(): Drill {
  return {
    name: "replica-down",
    summary:
      "one of N replicas killed under load: no failed request through HAProxy, replica-down tickets, nothing pages",
    runbookSections: [],
    expect: ["ResourceServiceReplicaDown"],
    allowed: latencyAlertsAllowed("the remaining replicas carry the load on a busy host"),

    async inject(ctx) {
      if (ctx.target.replicas < 2) throw new Error("replica-down needs at least two replicas");
      await ctx.target.stopReplica(VICTIM, { kill: true });
      ctx.step(`replica ${VICTIM + 1} of ${ctx.target.replicas} killed (SIGKILL)`);
    },

    async duringFault(ctx) {
      const seen = phaseStats(ctx.load.samples(ctx.injectedAt));
      checkNoFailures(ctx, "no failed request through the balancer while a replica is dead", ctx.injectedAt);
      const active = await balancerActiveReplicas(ctx);
      ctx.check(
        "HAProxy routes to the remaining replicas only",
        active === ctx.target.replicas - 1,
        `${active} active servers of ${ctx.target.replicas}; ${seen.requests} requests since the kill, ${pct(seen.missRatio)} misses`,
      );
    },

    async restore(ctx) {
      await ctx.target.startReplica(VICTIM);
      ctx.step(`replica ${VICTIM + 1} started, back in rotation`);
    },

    async recovered(ctx) {
      const up = await upReplicas(ctx);
      const active = await balancerActiveReplicas(ctx);
      const all = ctx.target.replicas;
      return up === all && active === all ? `${all} replicas scraped and in rotation` : undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "zero failed requests from before the crash to after recovery", ctx.baselineAt);
    },
  };
}
