/**
 * The Redis exporter stops: Prometheus is blind to Redis (ScrapeTargetDown tickets, labelled
 * service=redis), while users notice nothing. Started again: resolves.
 */
import type { Drill } from "../drill.js";
import { checkNoFailures } from "./expectations.js";

export function targetDown(): Drill {
  return {
    name: "target-down",
    summary: "the Redis exporter stopped: ScrapeTargetDown tickets, users unaffected",
    runbookSections: [],
    expect: ["ScrapeTargetDown"],

    async inject(ctx) {
      await ctx.target.stopComponent("redis-exporter");
      ctx.step("redis exporter stopped");
    },

    async duringFault(ctx) {
      checkNoFailures(ctx, "users notice nothing (zero failed requests)", ctx.injectedAt);
    },

    async restore(ctx) {
      await ctx.target.startComponent("redis-exporter");
      ctx.step("redis exporter started");
    },

    async recovered(ctx) {
      const up = await ctx.query('up{job="redis"}');
      return up === 1 ? "the redis job is scraped again" : undefined;
    },
  };
}
