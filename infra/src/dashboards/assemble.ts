import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { isAbsoluteRunbookBase } from "../runbook.js";
import type { PanelBuilder } from "./panels.js";

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelBuilder[];
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly rows: readonly RowSpec[];
  readonly variables?: readonly cog.Builder<VariableModel>[];
  /** The alerts' runbook base URL; linked from the dashboard when it is an absolute URL. */
  readonly runbookBaseUrl: string;
}

/**
 * Builds the dashboard with stable, unique panel ids (rows included) in reading order, so
 * regenerating gives byte-identical JSON and links to `viewPanel=N` keep working.
 */
export function assembleDashboard(spec: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([...spec.tags])
    .editable()
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .tooltip(DashboardCursorSync.Crosshair);
  // A repository path would resolve against Grafana's own address: no link rather than a dead one.
  if (isAbsoluteRunbookBase(spec.runbookBaseUrl)) {
    builder.link(
      new DashboardLinkBuilder("Runbook")
        .type(DashboardLinkType.Link)
        .url(spec.runbookBaseUrl)
        .targetBlank(true)
        .icon("doc"),
    );
  }
  for (const variable of spec.variables ?? []) builder.withVariable(variable);
  let id = 1;
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title).id(id++));
    for (const panel of row.panels) {
      panel.id(id++);
      builder.withPanel(panel);
    }
  }
  return layout(builder.build());
}

const GRID_COLUMNS = 24;

/**
 * Left-to-right, top-to-bottom placement that wraps before a panel would overflow the
 * 24-column grid (the SDK's own placement lets it overflow). Widths and heights stay as the
 * panels set them.
 */
function layout(dashboard: Dashboard): Dashboard {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  for (const panel of dashboard.panels ?? []) {
    const w = panel.gridPos?.w ?? 12;
    const h = panel.gridPos?.h ?? 8;
    if (panel.type === "row" || x + w > GRID_COLUMNS) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    panel.gridPos = { x, y, w, h };
    x += w;
    lineHeight = Math.max(lineHeight, h);
    if (panel.type === "row") {
      x = GRID_COLUMNS;
    }
  }
  return dashboard;
}
