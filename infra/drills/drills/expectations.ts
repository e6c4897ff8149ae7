/** What drills expect of users and alerts beyond their own: the shared expectations. */
import type { DrillContext } from "../drill.js";
import type { LoadSample } from "../load.js";
import { failureReasons, phaseStats } from "../load-stats.js";

/**
 * Latency alerts a drill may see when its fault turns hits into disk reads (every miss reads
 * and compresses a file): on an idle host they stay quiet, on a busy one (CI running other
 * tests) they can rightly fire. The runbook says as much: "latency rises under load".
 */
export function latencyAlertsAllowed(why: string): Array<{ alert: string; why: string }> {
  return [
    "ResourceLoadingLatencyP95High",
    "ResourceLoadingLatencyP99High",
    "ResourceLatencySLOFastBurn",
    "ResourceLatencySLOSlowBurn",
  ].map((alert) => ({ alert, why }));
}

/**
 * Checks that every request sent in [from, to) succeeded; `except` leaves out requests the
 * drill made fail on purpose (a planted cache entry answers with other content).
 */
export function checkNoFailures(
  ctx: DrillContext,
  name: string,
  from: number,
  to = Date.now(),
  except: (sample: LoadSample) => boolean = () => false,
): void {
  const samples = ctx.load.samples(from, to).filter((sample) => !except(sample));
  const stats = phaseStats(samples);
  const reasons = failureReasons(samples)
    .map(([r, n]) => `${n}x ${r}`)
    .join(", ");
  ctx.check(
    name,
    stats.requests > 0 && stats.failures === 0,
    `${stats.failures} of ${stats.requests} requests failed${reasons ? `: ${reasons}` : ""}`,
  );
}
