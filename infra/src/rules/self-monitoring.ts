import { JOBS, SERVICES } from "../../../lib/contract/stack.js";
import { TARGETS } from "../performance-targets.js";
import { eq, matchers, num } from "../promql.js";
import type { RuleParams } from "../rule-params.js";
import type { AlertRuleDefinition, RuleGroup } from "./types.js";

/**
 * The dead man's switch: always firing, so its notifications arriving prove that Prometheus
 * evaluates rules and Alertmanager delivers. Alertmanager routes it to a receiver of its own
 * (infra/alertmanager/alertmanager.yml), inhibits it never, and drills treat it as background.
 */
export const WATCHDOG_ALERT = "Watchdog";

const PROMETHEUS = matchers(eq("job", JOBS.prometheus));
const ALERTMANAGER = matchers(eq("job", JOBS.alertmanager));
const pct = (ratio: number) => `${num(ratio * 100)}%`;

/**
 * Alerts on the monitoring itself (kube-prometheus' Prometheus and Alertmanager mixins, the
 * ones that apply to one Prometheus and one Alertmanager with local storage). Their metrics
 * come from the `prometheus` and `alertmanager` jobs. Every expression works on Prometheus 2.42
 * and 3.x and on Alertmanager 0.25 and 0.35; where a metric's meaning differs between them, the
 * rule says how it copes.
 */
export function selfMonitoringAlertRules(params: RuleParams): RuleGroup<AlertRuleDefinition>[] {
  const w = params.rateWindow;
  const tw = params.tsdbWindow;
  const f = params.alertFor;
  const notifyErrors = `rate(prometheus_notifications_errors_total${PROMETHEUS}[${w}])`;
  const notifySent = `rate(prometheus_notifications_sent_total${PROMETHEUS}[${w}])`;

  const prometheus: AlertRuleDefinition[] = [
    {
      alert: WATCHDOG_ALERT,
      expr: "vector(1)",
      // Fires at the first evaluation: a heartbeat that waits proves nothing sooner.
      for: "0s",
      severity: "none",
      service: SERVICES.prometheus,
      summary: "Alerting pipeline heartbeat (always firing)",
      description:
        "Always firing (value {{ $value }}): while its notifications keep arriving, Prometheus evaluates rules and Alertmanager delivers. A dead man's switch outside this stack alarms when they stop.",
    },
    {
      alert: "PrometheusRuleFailures",
      expr: `increase(prometheus_rule_evaluation_failures_total${PROMETHEUS}[${w}]) > 0`,
      for: f.ruleFailures,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Prometheus fails to evaluate rules",
      description: `{{ $value | humanize }} rule evaluations of group {{ $labels.rule_group }} failed on Prometheus {{ $labels.instance }} over the last ${w}, for more than ${f.ruleFailures}: the alerts and recorded series of that group are missing or stale.`,
    },
    {
      alert: "PrometheusBadConfig",
      expr: `max_over_time(prometheus_config_last_reload_successful${PROMETHEUS}[${w}]) == 0`,
      for: f.prometheusBadConfig,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Prometheus failed to reload its configuration",
      description: `Prometheus {{ $labels.instance }} has failed to load its configuration for more than ${f.prometheusBadConfig} (last reload successful = {{ $value }}): it runs on the previous one, and would not start with the current one.`,
    },
    {
      alert: "PrometheusNotConnectedToAlertmanagers",
      expr: `max_over_time(prometheus_notifications_alertmanagers_discovered${PROMETHEUS}[${w}]) < 1`,
      for: f.alertmanagersNotConnected,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Prometheus has no Alertmanager to send alerts to",
      description: `Prometheus {{ $labels.instance }} has discovered {{ $value }} Alertmanagers for more than ${f.alertmanagersNotConnected}: its alerts, this one included, go nowhere; only the missing Watchdog heartbeat tells anyone.`,
    },
    {
      alert: "PrometheusErrorSendingAlertsToAnyAlertmanager",
      // Attempts are errors + sent: Prometheus 3 counts a notification in sent_total only once
      // delivered and in errors_total per failed alert (upstream's errors / sent reads +Inf when
      // nothing gets through). Prometheus 2 counts failed batches in errors_total and every
      // attempt in sent_total, so there the ratio understates, and still crosses 3% while a
      // handful of alerts fail.
      expr: `min without (alertmanager) (\n  ${notifyErrors}\n/\n  (${notifyErrors} + ${notifySent})\n)\n> ${num(TARGETS.notificationErrorRatioMax)}`,
      for: f.notificationErrors,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Prometheus fails to deliver alerts to Alertmanager",
      description: `Prometheus {{ $labels.instance }} failed to deliver {{ $value | humanizePercentage }} of its alert notifications to every Alertmanager over the last ${w} (threshold ${pct(TARGETS.notificationErrorRatioMax)}), for more than ${f.notificationErrors}: alerts do not reach anyone.`,
    },
    {
      alert: "PrometheusTSDBCompactionsFailing",
      expr: `increase(prometheus_tsdb_compactions_failed_total${PROMETHEUS}[${tw}]) > 0`,
      for: f.tsdbFailures,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Prometheus TSDB compactions fail",
      description: `Prometheus {{ $labels.instance }} had {{ $value | humanize }} failed TSDB compactions over the last ${tw}, for more than ${f.tsdbFailures}: the head block grows in memory and old data is not compacted or deleted.`,
    },
    {
      alert: "PrometheusTSDBReloadsFailing",
      expr: `increase(prometheus_tsdb_reloads_failures_total${PROMETHEUS}[${tw}]) > 0`,
      for: f.tsdbFailures,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Prometheus fails to reload TSDB blocks from disk",
      description: `Prometheus {{ $labels.instance }} failed {{ $value | humanize }} times to reload its TSDB blocks from disk over the last ${tw}, for more than ${f.tsdbFailures}: queries miss the blocks it could not open.`,
    },
    {
      alert: "PrometheusScrapeSampleLimitHit",
      expr: `increase(prometheus_target_scrapes_exceeded_sample_limit_total${PROMETHEUS}[${w}]) > 0`,
      for: f.sampleLimitHit,
      severity: "ticket",
      service: SERVICES.prometheus,
      summary: "Scrapes dropped for exceeding their sample_limit",
      description: `{{ $value | humanize }} scrapes of Prometheus {{ $labels.instance }} exceeded their job's sample_limit over the last ${w} and were dropped whole, for more than ${f.sampleLimitHit}: the target reads as down (up = 0) and the alerts built on it are blind.`,
    },
  ];

  const alertmanager: AlertRuleDefinition[] = [
    {
      alert: "AlertmanagerFailedReload",
      expr: `max_over_time(alertmanager_config_last_reload_successful${ALERTMANAGER}[${w}]) == 0`,
      for: f.alertmanagerBadConfig,
      severity: "ticket",
      service: SERVICES.alertmanager,
      summary: "Alertmanager failed to reload its configuration",
      description: `Alertmanager {{ $labels.instance }} has failed to load its configuration for more than ${f.alertmanagerBadConfig} (last reload successful = {{ $value }}): it routes with the previous one, and would not start with the current one.`,
    },
    {
      alert: "AlertmanagerFailedToSendAlerts",
      // Alertmanager 0.26+ splits failures by `reason`; summed away, the ratio matches the
      // integration's total on every version.
      expr: `sum without (reason) (rate(alertmanager_notifications_failed_total${ALERTMANAGER}[${w}]))\n/\nrate(alertmanager_notifications_total${ALERTMANAGER}[${w}])\n> ${num(TARGETS.alertmanagerNotificationFailureRatioMax)}`,
      for: f.alertmanagerNotifyFailures,
      severity: "ticket",
      service: SERVICES.alertmanager,
      summary: "Alertmanager fails to deliver notifications",
      description: `Alertmanager {{ $labels.instance }} failed to deliver {{ $value | humanizePercentage }} of its {{ $labels.integration }} notifications over the last ${w} (threshold ${pct(TARGETS.alertmanagerNotificationFailureRatioMax)}), for more than ${f.alertmanagerNotifyFailures}: alerts fire, and nobody hears of them.`,
    },
  ];

  return [
    { name: "prometheus.self-monitoring.alerts", rules: prometheus },
    { name: "alertmanager.self-monitoring.alerts", rules: alertmanager },
  ];
}
