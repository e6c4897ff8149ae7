/**
 * The drills' time-scaled rules (infra/drills/time-scale.ts) are the production rules on a
 * faster clock and nothing else: same alerts, labels, annotations, thresholds and PromQL
 * structure; every window and `for` multiplied by the factor; every window still spans
 * enough scrapes for rate() to be meaningful.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  DRILL_SCRAPE_INTERVAL,
  DRILL_TIME_FACTOR,
  drillParams,
  MIN_SCRAPES_PER_WINDOW,
  writeDrillRules,
} from "../../infra/drills/time-scale.js";
import { OUTPUT_PATHS } from "../../infra/src/outputs.js";
import { DEFAULT_PARAMS } from "../../infra/src/rule-params.js";
import {
  alertAnnotations,
  alertStaticLabels,
  allAlerts,
  allRecordingRules,
  ruleSet,
} from "../../infra/src/rules/index.js";
import { WATCHDOG_ALERT } from "../../infra/src/rules/self-monitoring.js";
import { parseDuration } from "../../lib/contract/duration.js";
import { SCRAPE_INTERVAL } from "../../lib/contract/stack.js";
import { findBinary } from "../../lib/harness/binaries.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { run } from "../support/exec.js";

const production = ruleSet(DEFAULT_PARAMS);
const drill = ruleSet(drillParams());
const scaled = (d: string) => Math.round(parseDuration(d) * DRILL_TIME_FACTOR);
/** A `for` scales too, but never below a few scrapes (see drillParams). */
const minForMs = MIN_SCRAPES_PER_WINDOW * parseDuration(DRILL_SCRAPE_INTERVAL);
const scaledFor = (d: string) => Math.max(scaled(d), parseDuration(d) === 0 ? 0 : minForMs);

/**
 * Durations where PromQL and rule names put windows: range selectors `[5m]` and the
 * `rate5m` / `ratio_rate1h` suffixes of recorded series.
 */
const WINDOW = /(?<=\[|rate)((?:\d+(?:ms|[smhdwy]))+)(?=\]|\b)/g;
/** Any duration in prose (windows, but also thresholds such as "100ms"). */
const ANY_DURATION = /(?<![\w.])((?:\d+(?:ms|[smhdwy]))+)(?![\w])/g;

function windows(text: string): string[] {
  return [...text.matchAll(WINDOW)].map((m) => m[1] as string);
}

function withoutDurations(text: string, pattern: RegExp): string {
  return text.replace(pattern, "<d>");
}

/** Each production duration token is scaled in the drill text, or (a threshold) unchanged. */
function expectScaledOrSame(prod: string, fast: string, pattern: RegExp, context: string): void {
  const a = [...prod.matchAll(pattern)].map((m) => m[1] as string);
  const b = [...fast.matchAll(pattern)].map((m) => m[1] as string);
  expect(b.length, context).toBe(a.length);
  a.forEach((d, i) => {
    const got = parseDuration(b[i] as string);
    expect([scaled(d), scaledFor(d), parseDuration(d)], `${context}: ${d} -> ${b[i]}`).toContain(got);
  });
  expect(withoutDurations(fast, pattern), context).toBe(withoutDurations(prod, pattern));
}

describe("the drills' time-scaled rules", () => {
  it("keep every alert, in order, with the same labels, summary and runbook link", () => {
    const prodAlerts = allAlerts(production);
    const fastAlerts = allAlerts(drill);
    expect(fastAlerts.map((a) => a.alert)).toEqual(prodAlerts.map((a) => a.alert));
    expect(fastAlerts).toHaveLength(25);
    expect(drill.alerting.map((g) => g.name)).toEqual(production.alerting.map((g) => g.name));
    prodAlerts.forEach((p, i) => {
      const f = fastAlerts[i];
      if (!f) throw new Error(`missing ${p.alert}`);
      expect(alertStaticLabels(f), p.alert).toEqual(alertStaticLabels(p));
      const { description: pd, ...pAnn } = alertAnnotations(p);
      const { description: fd, ...fAnn } = alertAnnotations(f);
      expect(fAnn, p.alert).toEqual(pAnn);
      expectScaledOrSame(pd, fd, ANY_DURATION, `${p.alert} description`);
    });
  });

  it("change only durations in alert expressions: thresholds and structure stay", () => {
    allAlerts(production).forEach((p, i) => {
      const f = allAlerts(drill)[i];
      if (!f) throw new Error(`missing ${p.alert}`);
      const pw = windows(p.expr);
      const fw = windows(f.expr);
      expect(fw.map(parseDuration), p.alert).toEqual(pw.map(scaled));
      expect(withoutDurations(f.expr, WINDOW), p.alert).toBe(withoutDurations(p.expr, WINDOW));
      expect(parseDuration(f.for), `${p.alert} for`).toBe(scaledFor(p.for));
    });
  });

  it("keep every recording rule, with only its windows (and the names carrying them) scaled", () => {
    const prodRules = allRecordingRules(production);
    const fastRules = allRecordingRules(drill);
    expect(fastRules).toHaveLength(prodRules.length);
    prodRules.forEach((p, i) => {
      const f = fastRules[i];
      if (!f) throw new Error(`missing ${p.record}`);
      expect(f.labels, p.record).toEqual(p.labels);
      expect(windows(f.record).map(parseDuration), p.record).toEqual(windows(p.record).map(scaled));
      expect(withoutDurations(f.record, WINDOW)).toBe(withoutDurations(p.record, WINDOW));
      expect(windows(f.expr).map(parseDuration), p.record).toEqual(windows(p.expr).map(scaled));
      expect(withoutDurations(f.expr, WINDOW), p.record).toBe(withoutDurations(p.expr, WINDOW));
    });
  });

  it("leave every rate window and every `for` at least a few scrapes wide", () => {
    const scrapeMs = parseDuration(DRILL_SCRAPE_INTERVAL);
    const all = [...allRecordingRules(drill).map((r) => r.expr), ...allAlerts(drill).map((a) => a.expr)];
    const narrowest = Math.min(...all.flatMap(windows).map(parseDuration));
    expect(narrowest).toBeGreaterThanOrEqual(MIN_SCRAPES_PER_WINDOW * scrapeMs);
    // A `for` shorter than a few scrapes fires on one late scrape; production's shortest
    // (1m at 15 s) spans four.
    for (const [rules, intervalMs] of [
      [drill, scrapeMs],
      [production, parseDuration(SCRAPE_INTERVAL)],
    ] as const) {
      for (const a of allAlerts(rules)) {
        // Only an alert meant to fire at once (the Watchdog) has no `for` at all.
        if (parseDuration(a.for) === 0) expect(a.alert).toBe(WATCHDOG_ALERT);
        else
          expect(parseDuration(a.for), a.alert).toBeGreaterThanOrEqual(MIN_SCRAPES_PER_WINDOW * intervalMs);
      }
    }
  });

  describe("as written for the drill Prometheus", () => {
    let dir: string;
    let files: string[];
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "drill-rules-"));
      files = await writeDrillRules(dir);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("pass promtool check rules", async () => {
      const result = await run(findBinary(["promtool"]), ["check", "rules", ...files]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    });

    it("hold the same alerts as the committed production rule file", async () => {
      type File = { groups: { name: string; rules: { alert?: string; record?: string }[] }[] };
      const names = (f: File) => f.groups.flatMap((g) => g.rules.map((r) => r.alert ?? r.record));
      const committed = parse(await readFile(path.join(REPO_ROOT, OUTPUT_PATHS.alertRules), "utf8")) as File;
      const written = parse(
        await readFile(files.find((f) => f.endsWith("alerts.yml")) ?? "", "utf8"),
      ) as File;
      expect(names(written)).toEqual(names(committed));
    });
  });
});
