/**
 * The drills' clock. Production rules alert after minutes (5m windows, `for: 10m`); a drill
 * must see an alert fire and resolve in seconds. Instead of hand-writing faster rules, drills
 * load a copy generated from the same source with every window and `for` multiplied by
 * DRILL_TIME_FACTOR (infra/src/rule-params.ts `scaleParams`); thresholds, labels and annotations
 * stay as they are (test/drills/time-scale.test.ts proves it).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { formatDuration, parseDuration } from "../../lib/contract/duration.js";
import { SCRAPE_INTERVAL } from "../../lib/contract/stack.js";
import { CONFIG_PATHS } from "../../lib/repo.js";
import { ruleFiles } from "../src/outputs.js";
import { DEFAULT_PARAMS, type RuleParams, scaleParams } from "../src/rule-params.js";

/**
 * 1/60: the runbook's 5m rate windows become 5s, five scrapes at the 1 s scrape interval
 * below (rate() needs at least two samples, and four or five keep it from jumping on one
 * late scrape). `for: 10m` becomes 10s, the SLO burn windows 1h/5m become 1m/5s.
 */
export const DRILL_TIME_FACTOR = 1 / 60;

/** Scrape and rule evaluation interval of the drill Prometheus. */
export const DRILL_SCRAPE_INTERVAL = "1s";
export const DRILL_EVALUATION_INTERVAL = "1s";

/** Alertmanager grouping for drills: notify within a second of a change, never repeat. */
export const DRILL_ALERTMANAGER_TIMINGS = {
  group_wait: "1s",
  group_interval: "1s",
  repeat_interval: "1h",
} as const;

/** The minimum scrapes a rate window must span (the test checks every scaled window). */
export const MIN_SCRAPES_PER_WINDOW = 4;

/**
 * The production rules on the drill clock. A `for` keeps at least MIN_SCRAPES_PER_WINDOW
 * scrapes, as production's shortest does (1m at 15 s): scaled to one second, `up == 0` would
 * fire on one late scrape.
 */
export function drillParams(factor = DRILL_TIME_FACTOR): RuleParams {
  const minFor = formatDuration(MIN_SCRAPES_PER_WINDOW * parseDuration(DRILL_SCRAPE_INTERVAL));
  return scaleParams(DEFAULT_PARAMS, factor, { minFor });
}

/**
 * Writes the scaled recording and alert rule files into `dir` and returns their absolute
 * paths, for the native stack's `ruleFiles` option (which replaces the project's files).
 */
export async function writeDrillRules(dir: string, params: RuleParams = drillParams()): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [relative, yaml] of ruleFiles(params)) {
    const file = path.join(dir, path.basename(relative));
    await writeFile(file, yaml);
    written.push(file);
  }
  return written;
}

/** Alertmanager timings a drill waits on, in ms (page and ticket routes may differ). */
export interface NotifyTimings {
  readonly groupWaitMs: { readonly page: number; readonly ticket: number };
  readonly groupIntervalMs: { readonly page: number; readonly ticket: number };
  readonly evaluationIntervalMs: number;
}

export const DRILL_NOTIFY_TIMINGS: NotifyTimings = {
  groupWaitMs: {
    page: parseDuration(DRILL_ALERTMANAGER_TIMINGS.group_wait),
    ticket: parseDuration(DRILL_ALERTMANAGER_TIMINGS.group_wait),
  },
  groupIntervalMs: {
    page: parseDuration(DRILL_ALERTMANAGER_TIMINGS.group_interval),
    ticket: parseDuration(DRILL_ALERTMANAGER_TIMINGS.group_interval),
  },
  evaluationIntervalMs: parseDuration(DRILL_EVALUATION_INTERVAL),
};

/**
 * What a stack run from docker-compose.yml as shipped uses: the routes of
 * infra/alertmanager/alertmanager.yml and the contract's 15 s evaluation. Drills against it
 * wait minutes, as production would.
 */
export async function productionNotifyTimings(): Promise<NotifyTimings> {
  interface Route {
    group_wait?: string;
    group_interval?: string;
    matchers?: string[];
    routes?: Route[];
  }
  const config = parse(await readFile(CONFIG_PATHS.alertmanager, "utf8")) as { route: Route };
  const root = config.route;
  const routeOf = (severity: string) =>
    root.routes?.find((r) => r.matchers?.some((m) => m.replace(/\s/g, "") === `severity="${severity}"`));
  const timing = (severity: string, key: "group_wait" | "group_interval") =>
    parseDuration(routeOf(severity)?.[key] ?? root[key] ?? (key === "group_wait" ? "30s" : "5m"));
  return {
    groupWaitMs: { page: timing("page", "group_wait"), ticket: timing("ticket", "group_wait") },
    groupIntervalMs: { page: timing("page", "group_interval"), ticket: timing("ticket", "group_interval") },
    evaluationIntervalMs: parseDuration(SCRAPE_INTERVAL),
  };
}
