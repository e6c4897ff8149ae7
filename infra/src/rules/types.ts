/** The rule shapes the generator works with, close to Prometheus' rule file format. */

/**
 * page: act now; ticket: act within a working day; none: the Watchdog heartbeat, which is
 * routed to its own receiver and never reaches a person while it keeps arriving.
 */
export type Severity = "page" | "ticket" | "none";

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** What the series means; rendered into docs/runbook.md, not into the rule file. */
  readonly help: string;
}

/** An alert as the rule modules define it; ruleSet() adds the link to its runbook section. */
export interface AlertRuleDefinition {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  /**
   * Static `service` label. Omitted only when the expression itself yields one (e.g.
   * from `job`), which `serviceFromExpr` states explicitly.
   */
  readonly service?: string;
  readonly serviceFromExpr?: true;
  readonly labels?: Readonly<Record<string, string>>;
  readonly summary: string;
  /** Go template; must show the value (`{{ $value ... }}`). */
  readonly description: string;
  /** docs/runbook.md heading the runbook_url points to; the alert name unless set. */
  readonly runbookHeading?: string;
}

export interface AlertRule extends AlertRuleDefinition {
  /** The `runbook_url` annotation: the generator's runbook base URL and the heading's anchor. */
  readonly runbookUrl: string;
}

export interface RuleGroup<R> {
  readonly name: string;
  readonly rules: readonly R[];
}
