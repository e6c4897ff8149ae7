import { WATCHDOG_ALERT } from "../rules/self-monitoring.js";
import {
  ALERTMANAGER_API,
  ALERTMANAGER_TARGET,
  alertmanagerCounter,
  alertmanagerGauge,
  flatCounter,
  idleLoadingHistograms,
  PROMETHEUS_TARGET,
  prometheusCounter,
  prometheusGauge,
  serviceUp,
} from "./series.js";
import type { AlertTestSpec } from "./types.js";

/*
 * Prometheus' and Alertmanager's own metrics as their self-scrapes report them. Counters step
 * per 1m evaluation interval, so `increase(...[5m])` of a counter stepping 1 is 5.
 */

const RULE_GROUP = "/etc/prometheus/rules/alerts.yml;redis.alerts";
const notifications = (errors: number, sent: number) => [
  prometheusCounter("prometheus_notifications_errors_total", errors, { alertmanager: ALERTMANAGER_API }),
  prometheusCounter("prometheus_notifications_sent_total", sent, { alertmanager: ALERTMANAGER_API }),
];
const webhookTotal = (perInterval: number) =>
  alertmanagerCounter("alertmanager_notifications_total", perInterval, { integration: "webhook" });
const webhookFailed = (perInterval: number, reason?: string) =>
  alertmanagerCounter("alertmanager_notifications_failed_total", perInterval, {
    integration: "webhook",
    ...(reason ? { reason } : {}),
  });

const prometheus: AlertTestSpec[] = [
  {
    alert: WATCHDOG_ALERT,
    scenarios: [
      {
        kind: "fires",
        name: "on a Prometheus without any series",
        series: [],
        expect: [
          {
            description:
              "Always firing (value 1): while its notifications keep arriving, Prometheus evaluates rules and Alertmanager delivers. A dead man's switch outside this stack alarms when they stop.",
          },
        ],
      },
      {
        kind: "fires",
        name: "beside a healthy, idle service",
        series: [serviceUp(1), ...idleLoadingHistograms()],
        expect: [
          {
            description:
              "Always firing (value 1): while its notifications keep arriving, Prometheus evaluates rules and Alertmanager delivers. A dead man's switch outside this stack alarms when they stop.",
          },
        ],
      },
    ],
  },
  {
    alert: "PrometheusRuleFailures",
    scenarios: [
      {
        kind: "fires",
        name: "one rule of a group fails at every evaluation",
        series: [
          prometheusCounter("prometheus_rule_evaluation_failures_total", 1, { rule_group: RULE_GROUP }),
        ],
        expect: [
          {
            labels: { ...PROMETHEUS_TARGET, rule_group: RULE_GROUP },
            description: `5 rule evaluations of group ${RULE_GROUP} failed on Prometheus prometheus:9090 over the last 5m, for more than 15m: the alerts and recorded series of that group are missing or stale.`,
          },
        ],
      },
      {
        kind: "below",
        name: "past failures only (counter high but flat)",
        series: [
          flatCounter(
            prometheusCounter("prometheus_rule_evaluation_failures_total", 0, { rule_group: RULE_GROUP }),
            12,
          ),
        ],
      },
      {
        kind: "idle",
        name: "no failures",
        series: [
          prometheusCounter("prometheus_rule_evaluation_failures_total", 0, { rule_group: RULE_GROUP }),
        ],
      },
    ],
  },
  {
    alert: "PrometheusBadConfig",
    scenarios: [
      {
        kind: "fires",
        name: "the last reload failed",
        series: [prometheusGauge("prometheus_config_last_reload_successful", 0)],
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "Prometheus prometheus:9090 has failed to load its configuration for more than 10m (last reload successful = 0): it runs on the previous one, and would not start with the current one.",
          },
        ],
      },
      {
        kind: "below",
        name: "the last reload succeeded",
        series: [prometheusGauge("prometheus_config_last_reload_successful", 1)],
      },
      { kind: "idle", name: "Prometheus not scraping itself (ScrapeTargetDown's case)", series: [] },
    ],
  },
  {
    alert: "PrometheusNotConnectedToAlertmanagers",
    scenarios: [
      {
        kind: "fires",
        name: "no Alertmanager discovered",
        series: [prometheusGauge("prometheus_notifications_alertmanagers_discovered", 0)],
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "Prometheus prometheus:9090 has discovered 0 Alertmanagers for more than 10m: its alerts, this one included, go nowhere; only the missing Watchdog heartbeat tells anyone.",
          },
        ],
      },
      {
        kind: "below",
        name: "one Alertmanager discovered",
        series: [prometheusGauge("prometheus_notifications_alertmanagers_discovered", 1)],
      },
      { kind: "idle", name: "Prometheus not scraping itself", series: [] },
    ],
  },
  {
    alert: "PrometheusErrorSendingAlertsToAnyAlertmanager",
    scenarios: [
      {
        kind: "fires",
        name: "Alertmanager unreachable: every notification fails (Prometheus 3 counts none sent)",
        series: notifications(60, 0),
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "Prometheus prometheus:9090 failed to deliver 100% of its alert notifications to every Alertmanager over the last 5m (threshold 3%), for more than 15m: alerts do not reach anyone.",
          },
        ],
      },
      {
        kind: "fires",
        name: "5% of notifications fail",
        series: notifications(3, 57),
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "Prometheus prometheus:9090 failed to deliver 5% of its alert notifications to every Alertmanager over the last 5m (threshold 3%), for more than 15m: alerts do not reach anyone.",
          },
        ],
      },
      { kind: "below", name: "2% of notifications fail", series: notifications(1, 49) },
      { kind: "idle", name: "nothing to send", series: notifications(0, 0) },
    ],
  },
  {
    alert: "PrometheusTSDBCompactionsFailing",
    scenarios: [
      {
        kind: "fires",
        name: "every compaction attempt fails (one a minute)",
        series: [prometheusCounter("prometheus_tsdb_compactions_failed_total", 1)],
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "Prometheus prometheus:9090 had 180 failed TSDB compactions over the last 3h, for more than 4h: the head block grows in memory and old data is not compacted or deleted.",
          },
        ],
      },
      {
        kind: "below",
        name: "past failures only",
        series: [flatCounter(prometheusCounter("prometheus_tsdb_compactions_failed_total", 0), 2)],
      },
      {
        kind: "idle",
        name: "no failures",
        series: [prometheusCounter("prometheus_tsdb_compactions_failed_total", 0)],
      },
    ],
  },
  {
    alert: "PrometheusTSDBReloadsFailing",
    scenarios: [
      {
        kind: "fires",
        name: "every block reload fails (one a minute)",
        series: [prometheusCounter("prometheus_tsdb_reloads_failures_total", 1)],
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "Prometheus prometheus:9090 failed 180 times to reload its TSDB blocks from disk over the last 3h, for more than 4h: queries miss the blocks it could not open.",
          },
        ],
      },
      {
        kind: "below",
        name: "past failures only",
        series: [flatCounter(prometheusCounter("prometheus_tsdb_reloads_failures_total", 0), 2)],
      },
      {
        kind: "idle",
        name: "no failures",
        series: [prometheusCounter("prometheus_tsdb_reloads_failures_total", 0)],
      },
    ],
  },
  {
    alert: "PrometheusScrapeSampleLimitHit",
    scenarios: [
      {
        kind: "fires",
        name: "every scrape of one target exceeds its limit (4 scrapes a minute)",
        series: [prometheusCounter("prometheus_target_scrapes_exceeded_sample_limit_total", 4)],
        expect: [
          {
            labels: PROMETHEUS_TARGET,
            description:
              "20 scrapes of Prometheus prometheus:9090 exceeded their job's sample_limit over the last 5m and were dropped whole, for more than 15m: the target reads as down (up = 0) and the alerts built on it are blind.",
          },
        ],
      },
      {
        kind: "below",
        name: "a past overflow only",
        series: [
          flatCounter(prometheusCounter("prometheus_target_scrapes_exceeded_sample_limit_total", 0), 3),
        ],
      },
      {
        kind: "idle",
        name: "every scrape within its limit",
        series: [prometheusCounter("prometheus_target_scrapes_exceeded_sample_limit_total", 0)],
      },
    ],
  },
];

const alertmanager: AlertTestSpec[] = [
  {
    alert: "AlertmanagerFailedReload",
    scenarios: [
      {
        kind: "fires",
        name: "the last reload failed",
        series: [alertmanagerGauge("alertmanager_config_last_reload_successful", 0)],
        expect: [
          {
            labels: ALERTMANAGER_TARGET,
            description:
              "Alertmanager alertmanager:9093 has failed to load its configuration for more than 10m (last reload successful = 0): it routes with the previous one, and would not start with the current one.",
          },
        ],
      },
      {
        kind: "below",
        name: "the last reload succeeded",
        series: [alertmanagerGauge("alertmanager_config_last_reload_successful", 1)],
      },
      { kind: "idle", name: "Alertmanager not scraped (ScrapeTargetDown's case)", series: [] },
    ],
  },
  {
    alert: "AlertmanagerFailedToSendAlerts",
    scenarios: [
      {
        kind: "fires",
        name: "10% of webhook notifications fail, by reason (Alertmanager 0.26+)",
        series: [
          webhookTotal(10),
          webhookFailed(0.6, "serverError"),
          webhookFailed(0.4, "contextDeadlineExceeded"),
          webhookFailed(0, "clientError"),
        ],
        expect: [
          {
            labels: { ...ALERTMANAGER_TARGET, integration: "webhook" },
            description:
              "Alertmanager alertmanager:9093 failed to deliver 10% of its webhook notifications over the last 5m (threshold 1%), for more than 5m: alerts fire, and nobody hears of them.",
          },
        ],
      },
      {
        kind: "fires",
        name: "10% of webhook notifications fail, without reasons (Alertmanager 0.25)",
        series: [webhookTotal(10), webhookFailed(1)],
        expect: [
          {
            labels: { ...ALERTMANAGER_TARGET, integration: "webhook" },
            description:
              "Alertmanager alertmanager:9093 failed to deliver 10% of its webhook notifications over the last 5m (threshold 1%), for more than 5m: alerts fire, and nobody hears of them.",
          },
        ],
      },
      {
        kind: "below",
        name: "0.5% of webhook notifications fail",
        series: [webhookTotal(20), webhookFailed(0.1, "serverError")],
      },
      { kind: "idle", name: "nothing to notify", series: [webhookTotal(0), webhookFailed(0, "serverError")] },
    ],
  },
];

export const SELF_MONITORING_TEST_SPECS: readonly AlertTestSpec[] = [...prometheus, ...alertmanager];
