import { formatDuration, parseDuration, scaleDuration } from "../../lib/contract/duration.js";

/** One row of the SRE workbook's multi-window, multi-burn-rate table. */
export interface BurnRateWindow {
  readonly severity: "page" | "ticket";
  /** How many times faster than "exactly exhaust the budget in one SLO period". */
  readonly burnRate: number;
  readonly longWindow: string;
  /** Stops the alert soon after the burn stops (the long window alone would lag for hours). */
  readonly shortWindow: string;
}

/**
 * Every time parameter of the rules: rate windows, `for` durations and SLO windows. The
 * generator takes these as input, so a drill can build a time-scaled copy with
 * `scaleParams(DEFAULT_PARAMS, 1 / 60)` instead of editing PromQL. Thresholds (latency,
 * ratios) are not time and live in targets.ts.
 */
export interface RuleParams {
  /** The runbook's `[5m]`: window of every rate() in the recording rules. */
  readonly rateWindow: string;
  /** Rule evaluation interval, written into promtool tests (compose evaluates every 15 s). */
  readonly evaluationInterval: string;
  readonly alertFor: {
    readonly latencyP95: string;
    readonly latencyP99: string;
    readonly cacheHitRateLow: string;
    readonly requestErrors: string;
    readonly cacheUnavailable: string;
    readonly redisEvicting: string;
    readonly serviceDown: string;
    readonly replicaDown: string;
    readonly redisNodeDown: string;
    readonly targetDown: string;
    readonly sloPage: string;
    readonly sloTicket: string;
    readonly cacheWritesFailing: string;
    readonly ruleFailures: string;
    readonly prometheusBadConfig: string;
    readonly alertmanagersNotConnected: string;
    readonly notificationErrors: string;
    readonly tsdbFailures: string;
    readonly sampleLimitHit: string;
    readonly alertmanagerBadConfig: string;
    readonly alertmanagerNotifyFailures: string;
  };
  /**
   * How long a replica that vanished from service discovery (dns_sd: a stopped container has no
   * address any more) is still remembered as one that should answer. Longer catches a replica
   * that stays gone for longer; it also keeps a deliberate scale-in ticketed for as long.
   */
  readonly replicaGoneWindow: string;
  /** Window of the TSDB failure alerts: compactions run every 2 h, so a shorter one could miss a failed one. */
  readonly tsdbWindow: string;
  /** SLO period the burn rates are computed against. */
  readonly sloPeriod: string;
  readonly burnRateWindows: readonly BurnRateWindow[];
}

export const DEFAULT_PARAMS: RuleParams = {
  rateWindow: "5m",
  evaluationInterval: "1m",
  alertFor: {
    // The runbook's "p95 > 100 ms for 5 m"; p99 uses the same persistence.
    latencyP95: "5m",
    latencyP99: "5m",
    // A cold cache is expected to miss for about one TTL (300 s) after a restart or flush.
    cacheHitRateLow: "10m",
    // "Any 5xx": one error keeps the 5m ratio above 0 for 5 m, so 1 m is enough persistence.
    requestErrors: "1m",
    cacheUnavailable: "1m",
    redisEvicting: "5m",
    // Rides out one or two failed scrapes (15 s interval) and a rolling restart.
    serviceDown: "1m",
    // One replica of N: users are still served, with less headroom. Longer than a rolling
    // restart (each replica drains for up to 10 s and is back within seconds), shorter than
    // the window a vanished replica is remembered for (replicaGoneWindow), or it never fires.
    replicaDown: "3m",
    // HAProxy's PING check takes a node out after two failed checks 2 s apart; a minute rides
    // out a Sentinel failover's restarts without hiding a node that stays away.
    redisNodeDown: "1m",
    targetDown: "5m",
    // Burn-rate alerts get their stability from the short window; `for` only absorbs a
    // single evaluation's noise.
    sloPage: "2m",
    sloTicket: "15m",
    // One TTL (300 s): by then every entry written before the refusals began has expired.
    cacheWritesFailing: "5m",
    // Self-monitoring: kube-prometheus' durations (prometheus-mixin, alertmanager-mixin).
    ruleFailures: "15m",
    prometheusBadConfig: "10m",
    alertmanagersNotConnected: "10m",
    notificationErrors: "15m",
    tsdbFailures: "4h",
    sampleLimitHit: "15m",
    alertmanagerBadConfig: "10m",
    alertmanagerNotifyFailures: "5m",
  },
  replicaGoneWindow: "10m",
  tsdbWindow: "3h",
  sloPeriod: "30d",
  // Google SRE workbook, "Alerting on SLOs", table 5-8 (as Sloth and Pyrra generate it).
  burnRateWindows: [
    { severity: "page", burnRate: 14.4, longWindow: "1h", shortWindow: "5m" },
    { severity: "page", burnRate: 6, longWindow: "6h", shortWindow: "30m" },
    { severity: "ticket", burnRate: 3, longWindow: "1d", shortWindow: "2h" },
    { severity: "ticket", burnRate: 1, longWindow: "3d", shortWindow: "6h" },
  ],
};

/**
 * The same rules on a faster clock: every window and `for` multiplied by `factor` (burn
 * rates stay, because the SLO period scales with them). For drills that must fire an alert
 * in seconds rather than minutes. `minFor` (a duration) floors each scaled `for`: scaled
 * below a few scrape intervals, a `for` no longer rides out one late scrape.
 */
export function scaleParams(
  params: RuleParams,
  factor: number,
  options: { minFor?: string } = {},
): RuleParams {
  const scale = (d: string) => scaleDuration(d, factor);
  const minForMs = options.minFor ? parseDuration(options.minFor) : 0;
  const scaleFor = (d: string) => (parseDuration(scale(d)) < minForMs ? formatDuration(minForMs) : scale(d));
  const alertFor = Object.fromEntries(
    Object.entries(params.alertFor).map(([key, value]) => [key, scaleFor(value)]),
  ) as unknown as RuleParams["alertFor"];
  return {
    rateWindow: scale(params.rateWindow),
    evaluationInterval: scale(params.evaluationInterval),
    alertFor,
    replicaGoneWindow: scale(params.replicaGoneWindow),
    tsdbWindow: scale(params.tsdbWindow),
    sloPeriod: scale(params.sloPeriod),
    burnRateWindows: params.burnRateWindows.map((w) => ({
      ...w,
      longWindow: scale(w.longWindow),
      shortWindow: scale(w.shortWindow),
    })),
  };
}
