import type { RuleParams } from "../params.js";
import { runbookUrl } from "../runbook.js";
import { thresholdAlertRules } from "./alerts.js";
import { type RecordingNames, recordingRules } from "./recording.js";
import { sloAlertRules, sloRecordingRules } from "./slo.js";
import type { AlertRule, RecordingRule, RuleGroup } from "./types.js";

export interface RuleSet {
  readonly recording: RuleGroup<RecordingRule>[];
  readonly alerting: RuleGroup<AlertRule>[];
  readonly names: RecordingNames;
}

/** Every rule of the stack for one set of time parameters. */
export function ruleSet(params: RuleParams): RuleSet {
  const { groups, names } = recordingRules(params);
  return {
    recording: [...groups, ...sloRecordingRules(params)],
    alerting: [...thresholdAlertRules(params, names), ...sloAlertRules(params)],
    names,
  };
}

export function allAlerts(rules: RuleSet): AlertRule[] {
  return rules.alerting.flatMap((g) => g.rules);
}

export function allRecordingRules(rules: RuleSet): RecordingRule[] {
  return rules.recording.flatMap((g) => g.rules);
}

export function alertRunbookUrl(alert: AlertRule): string {
  return runbookUrl(alert.runbookHeading ?? alert.alert);
}

/** The labels Prometheus attaches from the rule itself (the expression may add more). */
export function alertStaticLabels(alert: AlertRule): Record<string, string> {
  return {
    severity: alert.severity,
    ...(alert.service ? { service: alert.service } : {}),
    ...alert.labels,
  };
}

export function alertAnnotations(alert: AlertRule): {
  summary: string;
  description: string;
  runbook_url: string;
} {
  return { summary: alert.summary, description: alert.description, runbook_url: alertRunbookUrl(alert) };
}
