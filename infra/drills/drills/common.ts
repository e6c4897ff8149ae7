/** Small helpers the drills share. */

import type { ResourceType } from "../../../lib/contract/resource-kinds.js";
import { shippedResources } from "../../../lib/workload/catalogue.js";
import { markdownTable } from "../../src/docs/runbook-sections.js";
import type { DrillContext } from "../drill.js";
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

/** The contract's cache keys of every shipped resource of the given types. */
export function cacheKeys(types: readonly ResourceType[]): string[] {
  return shippedResources()
    .filter((ref) => types.includes(ref.type))
    .map((ref) => ref.cacheKey);
}

/** Checks that every request sent in [from, to) succeeded. */
export function checkNoFailures(ctx: DrillContext, name: string, from: number, to = Date.now()): void {
  const samples = ctx.load.samples(from, to);
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

/** A Markdown table laid out as biome formats it, so reports committed as samples stay clean. */
export const table = markdownTable;

/** "12.3 ms" */
export const ms = (v: number) => `${v.toFixed(1)} ms`;
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Calls `tick` every `intervalMs` (skipping a beat while one still runs) until stopped. */
export function every(intervalMs: number, tick: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= tick()
      .catch(() => {})
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
