/**
 * How long a drill waits for an alert, derived from the rules it runs against rather than
 * guessed: a drill on the time-scaled rules waits seconds, the same drill against a compose
 * stack with production rules waits the minutes those rules take.
 */
import { parseDuration } from "../../lib/contract/duration.js";
import type { RuleParams } from "../src/rule-params.js";
import { allAlerts, ruleSet } from "../src/rules/index.js";
import type { AlertRule } from "../src/rules/types.js";
import type { NotifyTimings } from "./time-scale.js";

/** Headroom for process start-up, a slow scrape, a busy CI machine. */
const SLACK_MS = 20_000;

export interface AlertTiming {
  readonly alert: string;
  readonly severity: "page" | "ticket";
  /** Inject -> firing notification at the webhook, at the latest. */
  readonly fireWithinMs: number;
  /** Fault removed -> resolved notification at the webhook, at the latest. */
  readonly resolveWithinMs: number;
}

/** The window whose contents keep an alert's condition true after the fault is gone. */
function memoryMs(alert: AlertRule, params: RuleParams): number {
  const severity = alert.severity;
  if (alert.labels?.slo) {
    // A burn-rate alert holds until the short window of every pair of its severity is clean.
    const shorts = params.burnRateWindows.filter((w) => w.severity === severity).map((w) => w.shortWindow);
    return Math.max(...shorts.map(parseDuration));
  }
  return parseDuration(params.rateWindow);
}

export function alertTimings(params: RuleParams, notify: NotifyTimings): Map<string, AlertTiming> {
  const timings = new Map<string, AlertTiming>();
  for (const alert of allAlerts(ruleSet(params))) {
    const severity = alert.severity;
    // The Watchdog fires from the start and no drill waits for it (verdict.ts: background).
    if (severity === "none") continue;
    const evals = 3 * notify.evaluationIntervalMs;
    timings.set(alert.alert, {
      alert: alert.alert,
      severity,
      // The window has to fill with the fault before the condition holds, then `for` runs.
      fireWithinMs:
        2 * parseDuration(params.rateWindow) +
        parseDuration(alert.for) +
        notify.groupWaitMs[severity] +
        evals +
        SLACK_MS,
      resolveWithinMs: memoryMs(alert, params) + notify.groupIntervalMs[severity] + evals + SLACK_MS,
    });
  }
  return timings;
}
