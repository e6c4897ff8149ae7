/** Drill reports and traffic summaries, on made-up data (no stack). */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LoadSample } from "../../infra/drills/load.js";
import { percentile, phaseStats, statsByType } from "../../infra/drills/load-stats.js";
import { milestones, relative, renderMarkdown, renderSummary } from "../../infra/drills/report.js";
import type { DrillResult } from "../../infra/drills/runner.js";
import { REPO_ROOT } from "../../lib/repo.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const s = (sec: number) => T0 + sec * 1000;

const result: DrillResult = {
  name: "redis-down",
  summary: "Redis stopped under load",
  expectations: {
    expect: ["ResourceCacheUnavailable"],
    inhibited: [{ alert: "ResourceCacheHitRateLow", by: "ResourceCacheUnavailable" }],
    allowed: [],
  },
  passed: true,
  failures: [],
  notes: [],
  checks: [{ name: "zero failed requests", ok: true, detail: "0 of 100 | failed" }],
  sections: [],
  events: [
    { at: s(-5), source: "drill", text: "baseline" },
    { at: s(0), source: "drill", text: "inject: fault on" },
    { at: s(1), source: "prometheus", alert: "ResourceCacheUnavailable", text: "pending in Prometheus" },
    { at: s(2.3), source: "prometheus", alert: "ResourceCacheUnavailable", text: "firing in Prometheus" },
    {
      at: s(3),
      source: "webhook",
      alert: "ResourceCacheUnavailable",
      text: "firing notification delivered (receiver ticket)",
    },
    { at: s(17), source: "drill", text: "restore: fault removed" },
    {
      at: s(18.1),
      source: "webhook",
      alert: "ResourceCacheUnavailable",
      text: "resolved notification delivered (receiver ticket)",
    },
  ],
  deliveries: [
    { alert: "ResourceCacheUnavailable", status: "firing", receiver: "ticket", at: s(3) },
    { alert: "ResourceCacheUnavailable", status: "resolved", receiver: "ticket", at: s(18.1) },
  ],
  baselineAt: s(-5),
  injectedAt: s(0),
  restoredAt: s(17),
  durationMs: 30_000,
  target: "test",
};

describe("drill reports", () => {
  it("give times relative to the injection", () => {
    expect(relative(s(2.34), T0)).toBe("+2.3s");
    expect(relative(s(-5), T0)).toBe("-5.0s");
    expect(milestones(result, ["ResourceCacheUnavailable"])).toEqual([
      {
        alert: "ResourceCacheUnavailable",
        pending: s(1),
        firing: s(2.3),
        delivered: s(3),
        resolved: s(18.1),
      },
    ]);
  });

  it("render the alerts, checks and timeline as Markdown, escaping table cells", () => {
    // Column padding aside (tables are laid out as biome formats them).
    const md = renderMarkdown(result).replace(/ {2,}/g, " ");
    expect(md).toContain("# Drill `redis-down`: passed");
    expect(md).toContain("| ResourceCacheUnavailable | +1.0s | +2.3s | +3.0s | – | +18.1s |");
    expect(md).toContain("Must fire in Prometheus and be inhibited by ResourceCacheUnavailable");
    expect(md).toContain("0 of 100 \\| failed");
    expect(md).toContain("| +17.0s | drill | | restore: fault removed |");
    expect(renderSummary([result], new Date(T0)).replace(/ {2,}/g, " ")).toContain(
      "| +3.0s (ResourceCacheUnavailable) | +1.1s |",
    );
  });

  it("come out as biome formats Markdown, so committed samples pass `biome check`", () => {
    const biome = path.join(REPO_ROOT, "node_modules/.bin/biome");
    for (const md of [renderMarkdown(result), renderSummary([result], new Date(T0))]) {
      const formatted = execFileSync(biome, ["format", "--stdin-file-path=report.md"], {
        input: md,
        cwd: REPO_ROOT,
      }).toString();
      expect(formatted).toBe(md);
    }
  });
});

describe("traffic summaries", () => {
  const sample = (ms: number, extra: Partial<LoadSample> = {}): LoadSample => ({
    at: T0,
    ms,
    path: "/mcp/resources/sdlc/core",
    resourceType: "sdlc",
    endpoint: "sdlc_core",
    status: 200,
    cache: "hit",
    ...extra,
  });

  it("use nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 99)).toBe(0);
  });

  it("count failures, misses and types; unanswered requests have no latency", () => {
    const stats = phaseStats([
      sample(1),
      sample(3, { cache: "miss" }),
      sample(5_000, { status: 0, failure: "timeout" }),
      sample(2, { status: 503, failure: "status 503" }),
    ]);
    expect(stats).toMatchObject({ requests: 4, failures: 2, failureRate: 0.5, p99: 3 });
    expect(stats.missRatio).toBeCloseTo(1 / 3, 2);
    expect(statsByType([sample(1, { resourceType: "patterns" })]).patterns.requests).toBe(1);
  });
});
