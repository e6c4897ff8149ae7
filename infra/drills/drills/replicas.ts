/** What the balancer and the replicas report, for the drills that stop some of them. */
import { METRICS } from "../../../lib/contract/metrics.js";
import { HAPROXY_BACKENDS, JOBS } from "../../../lib/contract/stack.js";
import type { DrillContext } from "../drill.js";

/** Servers HAProxy routes to in the service backend, as its exporter reports them. */
export function balancerActiveReplicas(ctx: DrillContext): Promise<number | undefined> {
  return ctx.query(
    `haproxy_backend_active_servers{job="${JOBS.balancer}", proxy="${HAPROXY_BACKENDS.service}"}`,
  );
}

/** True when every replica's own connection to Redis is up (not just one of them). */
export async function everyReplicaCacheUp(ctx: DrillContext): Promise<boolean> {
  const series = await ctx.queryAll(`${METRICS.cacheUp}{job="${JOBS.service}"}`);
  return series.length === ctx.target.replicas && series.every((s) => s.value === 1);
}
