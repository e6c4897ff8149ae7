import { formatDuration, parseDuration } from "../../../lib/contract/duration.js";
import type { RuleParams } from "../rule-params.js";
import { alertAnnotations, alertStaticLabels } from "../rules/index.js";
import type { AlertRule } from "../rules/types.js";
import type { SeriesSpec } from "./series.js";
import type { AlertTestSpec, ExprTest, Scenario } from "./types.js";

/** Rule files as seen from infra/prometheus/tests/ (promtool resolves them relative to the test file). */
export const TEST_RULE_FILES = ["../rules/recording.yml", "../rules/alerts.yml"];

/** ResourceLoadingLatencyP95High -> resource-loading-latency-p95-high */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

function values(spec: SeriesSpec, samples: number): string {
  return spec.values ?? `${spec.start}+${spec.step}x${samples}`;
}

function inputSeries(series: readonly SeriesSpec[], samples: number) {
  return series.map((s) => ({ series: s.series, values: values(s, samples) }));
}

/**
 * Evaluation points of one alert: `before` is one interval short of `for` (the condition may
 * already hold, the alert must still be pending), `after` leaves one interval for rate()
 * to get its second sample and one of slack.
 */
export function alertTimeline(alert: AlertRule, params: RuleParams) {
  const step = parseDuration(params.evaluationInterval);
  const forMs = parseDuration(alert.for);
  const before = Math.max(0, forMs - step);
  const after = forMs + 2 * step;
  return {
    before: formatDuration(before),
    after: formatDuration(after),
    samples: Math.ceil(after / step) + 5,
  };
}

function scenarioGroup(alert: AlertRule, scenario: Scenario, params: RuleParams) {
  const t = alertTimeline(alert, params);
  const expected = (scenario.expect ?? []).map((e) => ({
    exp_labels: { ...alertStaticLabels(alert), ...e.labels },
    exp_annotations: { ...alertAnnotations(alert), description: e.description },
  }));
  // An alert without `for` (the Watchdog) has no pending phase to check.
  const pending =
    parseDuration(alert.for) > 0 ? [{ eval_time: t.before, alertname: alert.alert, exp_alerts: [] }] : [];
  const checks =
    scenario.kind === "fires"
      ? [...pending, { eval_time: t.after, alertname: alert.alert, exp_alerts: expected }]
      : [{ eval_time: t.after, alertname: alert.alert, exp_alerts: [] }];
  return {
    name: `${alert.alert} ${scenario.kind}: ${scenario.name}`,
    interval: params.evaluationInterval,
    input_series: inputSeries(scenario.series, t.samples),
    alert_rule_test: checks,
  };
}

export function alertTestFile(alert: AlertRule, spec: AlertTestSpec, params: RuleParams): unknown {
  for (const s of spec.scenarios) {
    if ((s.kind === "fires") !== Boolean(s.expect?.length)) {
      throw new Error(`${spec.alert} "${s.name}": only and every "fires" scenario lists expected alerts`);
    }
  }
  return {
    rule_files: TEST_RULE_FILES,
    evaluation_interval: params.evaluationInterval,
    tests: spec.scenarios.map((s) => scenarioGroup(alert, s, params)),
  };
}

export function exprTestFile(tests: readonly ExprTest[], params: RuleParams): unknown {
  const stepMinutes = parseDuration(params.evaluationInterval) / 60_000;
  return {
    rule_files: TEST_RULE_FILES,
    evaluation_interval: params.evaluationInterval,
    tests: tests.map((t) => ({
      name: t.name,
      interval: params.evaluationInterval,
      input_series: inputSeries(t.series, Math.ceil(t.evalMinutes / stepMinutes) + 5),
      promql_expr_test: [
        {
          expr: t.expr,
          eval_time: `${t.evalMinutes}m`,
          exp_samples: t.expect.map((e) => ({ labels: e.labels, value: e.value })),
        },
      ],
    })),
  };
}
