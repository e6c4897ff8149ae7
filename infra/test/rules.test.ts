import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatDuration, parseDuration, scaleDuration } from "../../lib/contract/duration.js";
import { LOADING_BUCKETS } from "../../lib/contract/metrics.js";
import { HAPROXY_METRICS_PORT, JOBS, SCRAPE_INTERVAL } from "../../lib/contract/stack.js";
import { CONFIG_PATHS } from "../../lib/repo.js";
import { TARGETS } from "../src/performance-targets.js";
import { DEFAULT_PARAMS, scaleParams } from "../src/rule-params.js";
import {
  alertAnnotations,
  alertStaticLabels,
  allAlerts,
  allRecordingRules,
  ruleSet,
} from "../src/rules/index.js";
import { WATCHDOG_ALERT } from "../src/rules/self-monitoring.js";

const rules = ruleSet(DEFAULT_PARAMS);

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; port: number }[];
}

describe("recording rules", () => {
  it("are named level:metric:operations", () => {
    for (const r of allRecordingRules(rules)) {
      expect(r.record).toMatch(/^[a-z_]*:[a-z_0-9]+:[a-z0-9_]+$/);
    }
  });

  it("have unique name and label combinations", () => {
    const keys = allRecordingRules(rules).map((r) => `${r.record}${JSON.stringify(r.labels ?? {})}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("cover p50/p95/p99 at every level of the issue", () => {
    const names = allRecordingRules(rules).map((r) => r.record);
    for (const level of ["", "resource_type", "resource_type_cache_result"]) {
      for (const q of ["p50", "p95", "p99"]) {
        expect(names).toContain(`${level}:mcp_resource_loading_latency_seconds:${q}_rate5m`);
      }
    }
  });

  it("measure the latency SLO on a bucket edge the service really exports", () => {
    expect(LOADING_BUCKETS).toContain(TARGETS.latencyP95Seconds);
    expect(allRecordingRules(rules).some((r) => r.expr.includes(`le="${TARGETS.latencyP95Seconds}"`))).toBe(
      true,
    );
  });
});

describe("alert rules", () => {
  const alerts = allAlerts(rules);

  it("cover every alert the issue asks for", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        "RedisEvictingKeys",
        "ResourceAvailabilitySLOFastBurn",
        "ResourceAvailabilitySLOSlowBurn",
        "ResourceCacheHitRateLow",
        "ResourceCacheUnavailable",
        "ResourceLatencySLOFastBurn",
        "ResourceLatencySLOSlowBurn",
        "ResourceLoadingLatencyP95High",
        "ResourceLoadingLatencyP99High",
        "ResourceRequestErrors",
        "ResourceServiceDown",
        // Scaled out: one replica of N, and a Redis node of the Sentinel topology.
        "ResourceServiceReplicaDown",
        "RedisNodeDown",
        "ScrapeTargetDown",
        "ResourceCacheWritesFailing",
        // Watching the watchers (kube-prometheus' self-monitoring).
        "Watchdog",
        "PrometheusRuleFailures",
        "PrometheusBadConfig",
        "PrometheusNotConnectedToAlertmanagers",
        "PrometheusErrorSendingAlertsToAnyAlertmanager",
        "PrometheusTSDBCompactionsFailing",
        "PrometheusTSDBReloadsFailing",
        "PrometheusScrapeSampleLimitHit",
        "AlertmanagerFailedReload",
        "AlertmanagerFailedToSendAlerts",
      ].sort(),
    );
  });

  it("give only the Watchdog severity none, and it fires at once on a constant expression", () => {
    const none = alerts.filter((a) => a.severity === "none");
    expect(none.map((a) => a.alert)).toEqual([WATCHDOG_ALERT]);
    expect(none[0]?.expr).toBe("vector(1)");
    expect(none[0]?.for).toBe("0s");
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s carries severity, service and annotations",
    (_, alert) => {
      const labels = alertStaticLabels(alert);
      expect(alert.alert === WATCHDOG_ALERT ? ["none"] : ["page", "ticket"]).toContain(labels.severity);
      if (alert.serviceFromExpr) expect(alert.expr).toContain('"service"');
      else expect(labels.service).toMatch(/\S/);
      const annotations = alertAnnotations(alert);
      expect(annotations.summary).toMatch(/\S/);
      expect(annotations.description).toMatch(/\{\{ \$value( \| humanize\w*)? \}\}/);
      expect(annotations.runbook_url.startsWith(`${rules.runbookBaseUrl}#`)).toBe(true);
    },
  );

  it("wait less for a replica than a vanished one is remembered, on the production and the drill clock", () => {
    for (const params of [DEFAULT_PARAMS, scaleParams(DEFAULT_PARAMS, 1 / 60, { minFor: "4s" })]) {
      // Gone from dns_sd at once, the replica must stay in the window for `for` plus an evaluation.
      expect(
        parseDuration(params.alertFor.replicaDown) + parseDuration(params.evaluationInterval),
      ).toBeLessThan(parseDuration(params.replicaGoneWindow));
    }
  });

  it("page only for the service being down and fast SLO burns", () => {
    const pages = alerts.filter((a) => a.severity === "page").map((a) => a.alert);
    expect(pages.sort()).toEqual(
      ["ResourceAvailabilitySLOFastBurn", "ResourceLatencySLOFastBurn", "ResourceServiceDown"].sort(),
    );
  });
});

describe("prometheus.yml", () => {
  it("scrapes the contract's jobs at the contract's compose addresses, every 15 s", async () => {
    const config = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    expect(config.global.scrape_interval).toBe(SCRAPE_INTERVAL);
    expect(config.global.evaluation_interval).toBe(SCRAPE_INTERVAL);
    // Static targets, or (the replicas) a DNS name every replica answers for: the rules only
    // need the job names; dns_sd or file_sd tells the replicas apart by `instance`.
    const targets = Object.fromEntries(
      config.scrape_configs.map((j: ScrapeConfig) => [
        j.job_name,
        [
          ...(j.static_configs ?? []).flatMap((s) => s.targets),
          ...(j.dns_sd_configs ?? []).flatMap((d) => d.names.map((name) => `${name}:${d.port}`)),
        ],
      ]),
    );
    const expected: Record<string, string[]> = {
      [JOBS.service]: ["mcp-resource-service:8000"],
      [JOBS.redis]: ["redis-exporter:9121"],
      [JOBS.prometheus]: ["prometheus:9090"],
      [JOBS.alertmanager]: ["alertmanager:9093"],
    };
    // The balancer's job arrives with the scaled-out prometheus.yml; the alerts read it by name.
    if (targets[JOBS.balancer]) expected[JOBS.balancer] = [`haproxy:${HAPROXY_METRICS_PORT}`];
    expect(targets).toEqual(expected);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(config.rule_files).toEqual(["rules/*.yml"]);
  });

  it("caps the service's samples per scrape, far above what it exposes", async () => {
    const config = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    const service = config.scrape_configs.find((j: { job_name: string }) => j.job_name === JOBS.service);
    expect(service.sample_limit).toBeGreaterThanOrEqual(5_000);
  });
});

describe("time parameters", () => {
  it("parse and format Prometheus durations", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(parseDuration("3d"))).toBe("3d");
    expect(scaleDuration("5m", 1 / 60)).toBe("5s");
    expect(() => parseDuration("5 minutes")).toThrow();
  });

  it("scale every window and `for` for a time-compressed (drill) copy of the rules", () => {
    const fast = scaleParams(DEFAULT_PARAMS, 1 / 60);
    expect(fast.rateWindow).toBe("5s");
    expect(fast.alertFor.cacheHitRateLow).toBe("10s");
    expect(fast.burnRateWindows[3]).toEqual({
      severity: "ticket",
      burnRate: 1,
      longWindow: "1h12m",
      shortWindow: "6m",
    });
    const fastRules = ruleSet(fast);
    expect(fastRules.names.latency(0.95, "overall")).toBe(":mcp_resource_loading_latency_seconds:p95_rate5s");
    const p95 = allAlerts(fastRules).find((a) => a.alert === "ResourceLoadingLatencyP95High");
    expect(p95?.for).toBe("5s");
    expect(p95?.expr).toContain("p95_rate5s");
    // Nothing of the default windows survives in the scaled rules.
    const text = JSON.stringify([...allRecordingRules(fastRules), ...allAlerts(fastRules)]);
    expect(text).not.toMatch(/\[5m\]|rate5m\b|\[1h\]|\[3d\]/);
  });
});
