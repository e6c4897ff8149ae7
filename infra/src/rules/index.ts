import type { RuleParams } from "../rule-params.js";
import { DEFAULT_RUNBOOK_BASE_URL, runbookUrl } from "../runbook.js";
import { thresholdAlertRules } from "./alerts.js";
import { type RecordingNames, recordingRules } from "./recording.js";
import { selfMonitoringAlertRules } from "./self-monitoring.js";
import { sloAlertRules, sloRecordingRules } from "./slo.js";
import type { AlertRule, AlertRuleDefinition, RecordingRule, RuleGroup } from "./types.js";

export interface RuleSet {
  readonly recording: RuleGroup<RecordingRule>[];
  readonly alerting: RuleGroup<AlertRule>[];
  readonly names: RecordingNames;
  /** Base of every alert's runbook_url (and of the dashboards' runbook link). */
  readonly runbookBaseUrl: string;
}

/**
 * Every rule of the stack for one set of time parameters, alerts linked to their runbook
 * sections under `runbookBaseUrl`.
 */
export function ruleSet(params: RuleParams, runbookBaseUrl: string = DEFAULT_RUNBOOK_BASE_URL): RuleSet {
  const { groups, names } = recordingRules(params);
  const linked = (group: RuleGroup<AlertRuleDefinition>): RuleGroup<AlertRule> => ({
    name: group.name,
    rules: group.rules.map((rule) => ({
      ...rule,
      runbookUrl: runbookUrl(rule.runbookHeading ?? rule.alert, runbookBaseUrl),
    })),
  });
  return {
    recording: [...groups, ...sloRecordingRules(params)],
    alerting: [
      ...thresholdAlertRules(params, names),
      ...sloAlertRules(params),
      ...selfMonitoringAlertRules(params),
    ].map(linked),
    names,
    runbookBaseUrl,
  };
}

export function allAlerts(rules: RuleSet): AlertRule[] {
  return rules.alerting.flatMap((g) => g.rules);
}

export function allRecordingRules(rules: RuleSet): RecordingRule[] {
  return rules.recording.flatMap((g) => g.rules);
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
  return { summary: alert.summary, description: alert.description, runbook_url: alert.runbookUrl };
}
