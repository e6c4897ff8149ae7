import type { Labels, SeriesSpec } from "./series.js";

/**
 * What each alert's promtool tests must show: it fires above the
 * threshold once its `for` has passed (and not before), stays silent just below the
 * threshold and on an idle service; `guard` checks the minimum-traffic guard.
 */
export type ScenarioKind = "fires" | "below" | "idle" | "guard";

export interface ExpectedAlert {
  /** Labels beyond the rule's static ones (severity, service, ...), e.g. job/instance. */
  readonly labels?: Labels;
  /** The rendered description, value included: the literal an operator would read. */
  readonly description: string;
}

export interface Scenario {
  readonly kind: ScenarioKind;
  readonly name: string;
  readonly series: readonly SeriesSpec[];
  /** Only for `fires`: the alerts expected once `for` has passed. */
  readonly expect?: readonly ExpectedAlert[];
}

export interface AlertTestSpec {
  readonly alert: string;
  readonly scenarios: readonly Scenario[];
}

export interface ExprTest {
  readonly name: string;
  readonly series: readonly SeriesSpec[];
  readonly expr: string;
  readonly evalMinutes: number;
  readonly expect: readonly { labels: string; value: number }[];
}
