/**
 * Injected 5xx: one resource request in ten answers 503 (fault errorRate). The failure-rate
 * ticket fires, the availability SLO pages (fast burn) and its slow burn is inhibited by it.
 * Removed: requests succeed again and both resolve.
 */
import type { Drill } from "../drill.js";
import { failureReasons, phaseStats } from "../load-stats.js";
import { pct } from "../report-format.js";
import { checkNoFailures } from "./expectations.js";

/** 10% is 100x the availability SLO's 0.1% budget: a fast burn by any definition. */
const ERROR_RATE = 0.1;

export function errors(): Drill {
  return {
    name: "errors",
    summary: `${ERROR_RATE * 100}% of resource requests answer 503: error ticket, availability SLO pages`,
    runbookSections: ["Issue: Failure Rate >0%"],
    expect: ["ResourceRequestErrors", "ResourceAvailabilitySLOFastBurn"],
    inhibited: [{ alert: "ResourceAvailabilitySLOSlowBurn", by: "ResourceAvailabilitySLOFastBurn" }],

    async inject(ctx) {
      await ctx.target.faults.set({ errorRate: ERROR_RATE });
      ctx.step(`errorRate=${ERROR_RATE} on every resource route`);
    },

    async duringFault(ctx) {
      const samples = ctx.load.samples(ctx.injectedAt);
      const seen = phaseStats(samples);
      const reasons = failureReasons(samples);
      ctx.check(
        "users see the injected failure rate, as 503s",
        seen.failureRate > ERROR_RATE / 2 &&
          seen.failureRate < ERROR_RATE * 2 &&
          reasons.every(([r]) => r === "status 503"),
        `${pct(seen.failureRate)} of ${seen.requests} failed: ${reasons.map(([r, n]) => `${n}x ${r}`).join(", ")}`,
      );
    },

    async restore(ctx) {
      await ctx.target.faults.clear();
    },

    async recovered(ctx) {
      const recent = phaseStats(ctx.load.samples(Date.now() - 2_000));
      const ratio = await ctx.query(ctx.rules.errorRatio);
      if (recent.requests > 0 && recent.failures === 0 && ratio === 0) return "no 5xx in the last window";
      return undefined;
    },

    async afterRecovery(ctx) {
      checkNoFailures(ctx, "zero failed requests after the fault was removed", ctx.restoredAt + 1_000);
    },
  };
}
