/**
 * The service stops: every replica. ResourceServiceDown pages; everything else about the service is noise
 * until it is back, so Alertmanager inhibits it (nothing but the page may be delivered).
 * Started again: the page resolves and requests succeed.
 */
import { JOBS } from "../../../lib/contract/stack.js";
import type { Drill } from "../drill.js";
import { failureReasons, phaseStats } from "../load-stats.js";
import { checkNoFailures } from "./expectations.js";
import { balancerActiveReplicas } from "./replicas.js";

export function serviceDown(): Drill {
  return {
    name: "service-down",
    summary: "the service stopped: ResourceServiceDown pages, every other alert of the service inhibited",
    runbookSections: [],
    expect: ["ResourceServiceDown"],

    async inject(ctx) {
      await ctx.target.stopComponent("service");
      ctx.step("service stopped");
    },

    async duringFault(ctx) {
      // The outage is real: users get no answer (this is what the page is about).
      const samples = ctx.load.samples(ctx.injectedAt + 1_000);
      const seen = phaseStats(samples);
      ctx.check(
        "users get no answer while the service is down",
        seen.requests > 0 && seen.failures === seen.requests,
        `${seen.failures} of ${seen.requests} failed: ${failureReasons(samples)
          .map(([r, n]) => `${n}x ${r}`)
          .join(", ")}`,
      );
    },

    async restore(ctx) {
      await ctx.target.startComponent("service");
      ctx.step("service started");
    },

    async recovered(ctx) {
      const response = await fetch(`${ctx.target.urls.service}/readyz`, {
        signal: AbortSignal.timeout(1_000),
      });
      await response.arrayBuffer();
      const up = await ctx.query(`count(up{job="${JOBS.service}"} == 1)`);
      const active = await balancerActiveReplicas(ctx);
      const all = ctx.target.replicas;
      return response.ok && up === all && active === all
        ? `ready, all ${all} replicas scraped and in rotation again`
        : undefined;
    },

    async afterRecovery(ctx) {
      await ctx.sleep(2_000);
      checkNoFailures(ctx, "zero failed requests once the service is back", Date.now() - 2_000);
    },
  };
}
