/**
 * Runs one drill against a target under the background load: baseline, inject, wait for the
 * expected alerts at the webhook (and the inhibited ones at Alertmanager), check what users
 * see, restore, wait for recovery and resolution, then judge what was delivered.
 */
import { parseDuration } from "../../lib/contract/duration.js";
import { waitFor } from "../../lib/harness/ports.js";
import { activeTargets, instantQuery } from "../../lib/harness/prometheus-api.js";
import { allAlerts, ruleSet } from "../src/rules/index.js";
import { WATCHDOG_ALERT } from "../src/rules/self-monitoring.js";
import { type AlertTiming, alertTimings } from "./deadlines.js";
import type { Check, Drill, DrillContext } from "./drill.js";
import type { DrillStack } from "./drill-stack.js";
import type { BackgroundLoad } from "./load.js";
import { AlertObserver, clearNotifications, type Delivery, type TimelineEvent } from "./observer.js";
import type { NotifyTimings } from "./time-scale.js";
import { judge } from "./verdict.js";

export interface DrillResult {
  readonly name: string;
  readonly summary: string;
  /** What the drill required of the alerts (copied from its definition). */
  readonly expectations: Pick<Drill, "expect" | "inhibited" | "allowed">;
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly notes: readonly string[];
  readonly checks: readonly Check[];
  readonly sections: readonly string[];
  readonly events: readonly TimelineEvent[];
  readonly deliveries: readonly Delivery[];
  readonly baselineAt: number;
  readonly injectedAt: number;
  readonly restoredAt: number;
  /** Whole drill, preparation included. */
  readonly durationMs: number;
  readonly target: string;
}

export interface RunOptions {
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `probe` holds or `ms` pass; returns whether it held (never throws on timeout). */
async function within(ms: number, probe: () => Promise<boolean>, intervalMs = 250): Promise<boolean> {
  try {
    await waitFor("condition", async () => (await probe()) || undefined, { timeoutMs: ms, intervalMs });
    return true;
  } catch {
    return false;
  }
}

/**
 * Steady state before a fault: every target up and the service's traffic visible in the
 * recording rules for a whole rate window, so "before" numbers exist and a rate() over the
 * window sees only the fault once it starts.
 */
async function waitForBaseline(ctx: DrillContext, windowMs: number, timeoutMs: number): Promise<void> {
  const { prometheus } = ctx.target.urls;
  await waitFor(
    "every Prometheus target up",
    async () => {
      const targets = await activeTargets(prometheus);
      return targets.length > 0 && targets.every((t) => t.health === "up");
    },
    { timeoutMs, intervalMs: 500 },
  );
  await waitFor(
    `the load in ${ctx.rules.loadRate.overall}`,
    async () => ((await ctx.query(ctx.rules.loadRate.overall)) ?? 0) > 1,
    { timeoutMs, intervalMs: 500 },
  );
  await sleep(windowMs);
}

/**
 * When an alert but the Watchdog is pending or firing: until none is (at most `timeoutMs`;
 * what still is counts as pre-existing), then long enough for Alertmanager to deliver the
 * resolutions (at most 15 s: a stack on production timings takes minutes, and its
 * notifications count as pre-existing too).
 */
async function waitForQuiet(ctx: DrillContext, notify: NotifyTimings, timeoutMs: number): Promise<void> {
  const quiet = async () => (await ctx.queryAll(`ALERTS{alertname!="${WATCHDOG_ALERT}"}`)).length === 0;
  if (await quiet()) return;
  await waitFor("no alert active before the baseline", quiet, { timeoutMs, intervalMs: 500 }).catch(() => {});
  const flush = 2 * Math.max(notify.groupIntervalMs.page, notify.groupIntervalMs.ticket) + 1_000;
  await sleep(Math.min(flush, 15_000));
}

export async function runDrill(
  drill: Drill,
  target: DrillStack,
  load: BackgroundLoad,
  options: RunOptions = {},
): Promise<DrillResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const rules = ruleSet(target.params);
  const severities = new Map(allAlerts(rules).map((a) => [a.alert, a.severity as string]));
  const timings = alertTimings(target.params, target.notify);
  const timing = (alert: string): AlertTiming => {
    const t = timings.get(alert);
    if (!t) throw new Error(`drill ${drill.name} names an alert the rules do not have: ${alert}`);
    return t;
  };
  // One rate window: how long a fault takes to fill it, and a recovery to empty it.
  const windowMs = parseDuration(target.params.rateWindow);
  const observer = new AlertObserver(target.urls);
  const checks: Check[] = [];
  const sections: string[] = [];
  const failures: string[] = [];
  const state = { baselineAt: 0, injectedAt: 0, restoredAt: 0 };

  const ctx: DrillContext = {
    target,
    load,
    observer,
    rules: rules.names,
    get baselineAt() {
      return state.baselineAt;
    },
    get injectedAt() {
      return state.injectedAt;
    },
    get restoredAt() {
      return state.restoredAt;
    },
    step: (text) => {
      observer.step(text);
      log(`  ${text}`);
    },
    check: (name, ok, detail) => {
      checks.push({ name, ok, detail });
      observer.step(`check ${ok ? "passed" : "FAILED"}: ${name} (${detail})`);
      log(`  ${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
    },
    section: (markdown) => {
      sections.push(markdown);
    },
    query: async (expr) => (await instantQuery(target.urls.prometheus, expr))[0]?.value,
    queryAll: async (expr) =>
      (await instantQuery(target.urls.prometheus, expr)).map((s) => ({ labels: s.metric, value: s.value })),
    sleep,
  };

  const restore = async () => {
    // Nothing to undo before the fault went in, nor twice.
    if (state.restoredAt || !state.injectedAt) return;
    state.restoredAt = Date.now();
    ctx.step("restore: fault removed");
    await drill.restore(ctx);
  };

  let preexisting = new Set<string>();
  try {
    log(`drill ${drill.name}: ${drill.summary}`);
    await target.faults.clear();
    await target.resetAlerting();
    state.baselineAt = Date.now();
    await waitForBaseline(ctx, Math.min(windowMs, 10_000), 120_000);
    // The drill's record starts once what the reset itself set off is over: a restarted
    // Prometheus has no `up` for its targets until it applies them (a 5 s tick), long enough
    // for `absent(up)` to fire on the drill clock and resolve again.
    await waitForQuiet(ctx, target.notify, 30_000);
    await clearNotifications(target.urls.alertWebhook);
    await observer.start();
    preexisting = new Set([...observer.prometheus].filter(([, s]) => s !== "inactive").map(([a]) => a));

    state.injectedAt = Date.now();
    ctx.step("inject: fault on");
    await drill.inject(ctx);

    // Expected alerts at the webhook, inhibited ones firing but held back by Alertmanager.
    const awaited = [...drill.expect, ...(drill.inhibited ?? []).map((i) => i.alert)];
    if (awaited.length) {
      const fireBy = Math.max(...awaited.map((a) => timing(a).fireWithinMs));
      const arrived = await within(
        fireBy,
        async () =>
          drill.expect.every((a) => observer.firingDelivered(a)) &&
          (drill.inhibited ?? []).every((i) => observer.everSuppressed.get(i.alert)?.includes(i.by)),
      );
      if (!arrived) failures.push(`not every expected alert arrived within ${Math.round(fireBy / 1000)} s`);
      // Long enough for Alertmanager to flush each group at least twice: an inhibition that
      // did not hold would show up as a delivery now.
      await sleep(
        2 * Math.max(target.notify.groupIntervalMs.page, target.notify.groupIntervalMs.ticket) + 1_000,
      );
    }
    await drill.duringFault?.(ctx);

    await restore();
    const resolveBy = Math.max(windowMs + 30_000, ...drill.expect.map((a) => timing(a).resolveWithinMs));
    let recovery: string | undefined;
    const recovered = await within(resolveBy, async () => {
      recovery = await drill.recovered(ctx).catch(() => undefined);
      return recovery !== undefined;
    });
    if (recovered) ctx.step(`recovered: ${recovery}`);
    else failures.push(`the system did not recover within ${Math.round(resolveBy / 1000)} s`);

    const resolved = await within(resolveBy, async () =>
      drill.expect.every((a) => observer.endedResolved(a, state.restoredAt)),
    );
    if (!resolved)
      failures.push(`not every expected alert resolved within ${Math.round(resolveBy / 1000)} s`);
    await drill.afterRecovery?.(ctx);
  } catch (error) {
    failures.push(`drill aborted: ${(error as Error).message}`);
  } finally {
    await restore().catch((error: Error) => failures.push(`restore failed: ${error.message}`));
    await observer.stop();
  }

  const verdict = judge({
    drill,
    preexisting,
    deliveries: observer.deliveries,
    everSuppressed: observer.everSuppressed,
    restoredAt: state.restoredAt,
    severities,
  });
  const allFailures = [
    ...failures,
    ...verdict.failures,
    ...checks.filter((c) => !c.ok).map((c) => `check failed: ${c.name} (${c.detail})`),
  ];
  return {
    name: drill.name,
    summary: drill.summary,
    expectations: { expect: drill.expect, inhibited: drill.inhibited ?? [], allowed: drill.allowed ?? [] },
    passed: allFailures.length === 0,
    failures: allFailures,
    notes: verdict.notes,
    checks,
    sections,
    events: [...observer.events].sort((a, b) => a.at - b.at),
    deliveries: observer.deliveries,
    baselineAt: state.baselineAt,
    injectedAt: state.injectedAt,
    restoredAt: state.restoredAt,
    durationMs: Date.now() - started,
    target: target.description,
  };
}
