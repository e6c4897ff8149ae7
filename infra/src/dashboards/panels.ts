import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
} from "@grafana/grafana-foundation-sdk/common";
import {
  MappingType,
  type Panel,
  type Threshold,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMapping,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as StateTimelinePanelBuilder } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE } from "../grafana/datasources.js";
import { TARGETS } from "../performance-targets.js";

/** Thin layer over the foundation SDK: every panel gets the fixed datasource and a legend. */

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** Ask Prometheus for exemplars (trace ids) with this query; only raw series carry them. */
  readonly exemplar?: boolean;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly queries: readonly Query[];
  readonly unit?: string;
  /** Grid width (of 24) and height. */
  readonly width?: number;
  readonly height?: number;
  readonly thresholds?: readonly Threshold[];
  readonly min?: number;
  readonly max?: number;
}

/** Any panel builder: also settable id, which the dashboard assembler assigns. */
export type PanelBuilder = cog.Builder<Panel> & { id(id: number): unknown };

const datasource = { type: DATASOURCE.type, uid: DATASOURCE.uid };

/** The runbook's targets as colour steps: green under 100 ms, orange to 200 ms, red above. */
export const LATENCY_THRESHOLDS: readonly Threshold[] = [
  { value: null, color: "green" },
  { value: TARGETS.latencyP95Seconds, color: "orange" },
  { value: TARGETS.latencyP99Seconds, color: "red" },
];

/** Values that are bad above zero (error ratios, evictions). */
export const ZERO_TOLERANCE: readonly Threshold[] = [
  { value: null, color: "green" },
  { value: Number.MIN_VALUE, color: "red" },
];

function targets(queries: readonly Query[]): DataqueryBuilder[] {
  return queries.map((q, i) =>
    new DataqueryBuilder()
      .datasource(datasource)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend ?? "__auto")
      .exemplar(q.exemplar ?? false),
  );
}

function thresholds(steps: readonly Threshold[] | undefined): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([...(steps ?? [{ value: null, color: "green" }])]);
}

export function timeseries(spec: PanelSpec & { stacked?: boolean }): PanelBuilder {
  const panel = new TimeseriesPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .unit(spec.unit ?? "short")
    .thresholds(thresholds(spec.thresholds))
    // Thresholds show as dashed lines, so the 100/200 ms targets sit on the latency graphs.
    .thresholdsStyle(
      new GraphThresholdsStyleConfigBuilder().mode(
        spec.thresholds ? GraphThresholdsStyleMode.Dashed : GraphThresholdsStyleMode.Off,
      ),
    )
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Bottom)
        .calcs(["mean", "max", "lastNotNull"]),
    )
    .lineWidth(1)
    .fillOpacity(10);
  for (const t of targets(spec.queries)) panel.withTarget(t);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.stacked) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  return panel;
}

export function stat(spec: PanelSpec & { reducer?: string }): PanelBuilder {
  const panel = new StatPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .span(spec.width ?? 4)
    .height(spec.height ?? 4)
    .unit(spec.unit ?? "short")
    .thresholds(thresholds(spec.thresholds))
    .reduceOptions(new ReduceDataOptionsBuilder().values(false).calcs([spec.reducer ?? "lastNotNull"]));
  for (const t of targets(spec.queries)) panel.withTarget(t);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  return panel;
}

/** Discrete states over time (alert states, connection up/down), via value mappings. */
export function stateTimeline(
  spec: PanelSpec & { states: Readonly<Record<number, { text: string; color: string }>> },
): PanelBuilder {
  const mappings: ValueMapping[] = [
    {
      type: MappingType.ValueToText,
      options: Object.fromEntries(
        Object.entries(spec.states).map(([value, s], index) => [
          value,
          { text: s.text, color: s.color, index },
        ]),
      ),
    },
  ];
  const panel = new StateTimelinePanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .span(spec.width ?? 24)
    .height(spec.height ?? 6)
    .mappings(mappings)
    .thresholds(thresholds(spec.thresholds))
    .showValue(VisibilityMode.Never)
    .mergeValues(true)
    .legend(new VizLegendOptionsBuilder().showLegend(false));
  for (const t of targets(spec.queries)) panel.withTarget(t);
  return panel;
}
