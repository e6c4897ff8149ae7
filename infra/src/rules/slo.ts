import { METRICS, RESOURCE_ROUTE_REGEX } from "../../../lib/contract/metrics.js";
import { JOBS, SERVICES } from "../../../lib/contract/stack.js";
import {
  AVAILABILITY_SLO,
  errorBudget,
  LATENCY_SLO,
  type SloDefinition,
  TARGETS,
} from "../performance-targets.js";
import { eq, matchers, num, rate, re, sumBy } from "../promql.js";
import type { BurnRateWindow, RuleParams } from "../rule-params.js";
import type { AlertRuleDefinition, RecordingRule, RuleGroup } from "./types.js";

/** How one SLO counts its events over a window: total events and bad events. */
interface SliQueries {
  readonly slo: SloDefinition;
  /** Prefix of the SLO's alert names, e.g. ResourceLatency -> ResourceLatencySLOFastBurn. */
  readonly alertPrefix: string;
  /** Plural noun of the events, for alert text. */
  readonly events: string;
  /** What makes an event bad, for alert text. */
  readonly bad: string;
  errorRatio(window: string): string;
  requestRate(window: string): string;
}

const SERVICE = matchers(eq("job", JOBS.service));
const RESOURCE_REQUESTS = matchers(eq("job", JOBS.service), re("route", RESOURCE_ROUTE_REGEX));
const RESOURCE_5XX = matchers(
  eq("job", JOBS.service),
  re("route", RESOURCE_ROUTE_REGEX),
  re("status_code", "5.."),
);

const latencySli: SliQueries = {
  slo: LATENCY_SLO,
  alertPrefix: "ResourceLatency",
  events: "resource loads",
  bad: `took longer than ${TARGETS.latencyP95Seconds * 1000}ms`,
  // The 0.1 s bucket exists in the service's histogram (a test checks), so the SLI is exact.
  errorRatio: (w) =>
    `1 - (\n  ${sumBy([], rate(`${METRICS.loadingLatency}_bucket`, matchers(eq("job", JOBS.service), eq("le", num(TARGETS.latencyP95Seconds))), w))}\n  /\n  ${sumBy([], rate(`${METRICS.loadingLatency}_count`, SERVICE, w))}\n)`,
  requestRate: (w) => sumBy([], rate(`${METRICS.loadingLatency}_count`, SERVICE, w)),
};

const availabilitySli: SliQueries = {
  slo: AVAILABILITY_SLO,
  alertPrefix: "ResourceAvailability",
  events: "requests to resource routes",
  bad: "failed with a 5xx",
  errorRatio: (w) =>
    `(${sumBy([], rate(`${METRICS.httpDuration}_count`, RESOURCE_5XX, w))} or vector(0))\n/\n${sumBy([], rate(`${METRICS.httpDuration}_count`, RESOURCE_REQUESTS, w))}`,
  requestRate: (w) => sumBy([], rate(`${METRICS.httpDuration}_count`, RESOURCE_REQUESTS, w)),
};

export const SLIS: readonly SliQueries[] = [latencySli, availabilitySli];

export const sloRecordNames = {
  errorRatio: (window: string) => `slo:sli_error:ratio_rate${window}`,
  requestRate: (window: string) => `slo:sli_requests:rate${window}`,
  objective: "slo:objective:ratio",
  errorBudget: "slo:error_budget:ratio",
} as const;

function sloWindows(params: RuleParams): string[] {
  const windows = new Set<string>();
  for (const w of params.burnRateWindows) {
    windows.add(w.shortWindow);
    windows.add(w.longWindow);
  }
  return [...windows];
}

/** SLI error ratios and request rates over every window the burn-rate alerts use (Sloth's layout). */
export function sloRecordingRules(params: RuleParams): RuleGroup<RecordingRule>[] {
  return SLIS.map((sli) => {
    const labels = { slo: sli.slo.name };
    const rules: RecordingRule[] = [
      {
        record: sloRecordNames.objective,
        expr: `vector(${num(sli.slo.objective)})`,
        labels,
        help: `SLO objective: ${sli.slo.description}.`,
      },
      {
        record: sloRecordNames.errorBudget,
        expr: `vector(${num(errorBudget(sli.slo))})`,
        labels,
        help: "Allowed fraction of bad events (1 - objective); burn rate = error ratio / this.",
      },
    ];
    for (const window of sloWindows(params)) {
      rules.push(
        {
          record: sloRecordNames.errorRatio(window),
          expr: sli.errorRatio(window),
          labels,
          help: `Fraction of ${sli.events} that ${sli.bad} over ${window}.`,
        },
        {
          record: sloRecordNames.requestRate(window),
          expr: sli.requestRate(window),
          labels,
          help: `${sli.events} per second over ${window} (the burn-rate alerts' traffic guard on their short windows).`,
        },
      );
    }
    return { name: `slo.${sli.slo.name}.rules`, rules };
  });
}

function burnCondition(sli: SliQueries, w: BurnRateWindow): string {
  const slo = matchers(eq("slo", sli.slo.name));
  const threshold = `(${num(w.burnRate)} * ${num(errorBudget(sli.slo))})`;
  return [
    "(",
    `  ${sloRecordNames.errorRatio(w.longWindow)}${slo} > ${threshold}`,
    "and",
    `  ${sloRecordNames.errorRatio(w.shortWindow)}${slo} > ${threshold}`,
    "and",
    // Traffic guard on the short window: it decides when the alert starts and stops, and a
    // handful of requests in it must not decide the ratio.
    `  ${sloRecordNames.requestRate(w.shortWindow)}${slo} > ${num(TARGETS.minRequestRate)}`,
    ")",
  ].join("\n");
}

const SPEED: Record<BurnRateWindow["severity"], string> = { page: "Fast", ticket: "Slow" };

/**
 * Multi-window, multi-burn-rate alerts (SRE workbook): one page alert for the fast burns,
 * one ticket alert for the slow ones, each pair guarded by a minimum request rate.
 */
export function sloAlertRules(params: RuleParams): RuleGroup<AlertRuleDefinition>[] {
  return SLIS.map((sli) => {
    const budget = errorBudget(sli.slo);
    const rules = (["page", "ticket"] as const).map((severity): AlertRuleDefinition => {
      const windows = params.burnRateWindows.filter((w) => w.severity === severity);
      const pairs = windows
        .map((w) => `${num(w.burnRate)}x over ${w.longWindow} and ${w.shortWindow}`)
        .join(", or ");
      return {
        alert: `${sli.alertPrefix}SLO${SPEED[severity]}Burn`,
        expr: windows.map((w) => burnCondition(sli, w)).join("\nor\n"),
        for: severity === "page" ? params.alertFor.sloPage : params.alertFor.sloTicket,
        severity,
        service: SERVICES.resource,
        labels: { slo: sli.slo.name },
        summary: `${sli.slo.name} SLO: error budget burning ${severity === "page" ? "fast" : "steadily"}`,
        description:
          `{{ $value | humanizePercentage }} of ${sli.events} ${sli.bad} over the long window; ` +
          `the SLO allows ${num(budget * 100)}% over ${params.sloPeriod} (${sli.slo.description}). ` +
          `Burn rate at least ${pairs}.`,
      };
    });
    return { name: `slo.${sli.slo.name}.alerts`, rules };
  });
}
