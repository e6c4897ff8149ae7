import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { HAPROXY_METRICS_PORT, JOBS } from "../../lib/contract/stack.js";
import { type AlertmanagerProcess, startAlertmanager } from "../../lib/harness/alertmanager.js";
import { binaryVersion, findBinary } from "../../lib/harness/binaries.js";
import { waitFor } from "../../lib/harness/ports.js";
import { alertmanagerAlerts, postAlerts } from "../../lib/harness/prometheus-api.js";
import { CONFIG_PATHS } from "../../lib/repo.js";
import { run } from "../../test/support/exec.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { allAlerts, ruleSet } from "../src/rules/index.js";
import { WATCHDOG_ALERT } from "../src/rules/self-monitoring.js";

const CONFIG = CONFIG_PATHS.alertmanager;
const alertNames = new Set(allAlerts(ruleSet(DEFAULT_PARAMS)).map((a) => a.alert));

/** Waits until `state()` is `expected` (Alertmanager applies inhibitions within moments); names the last states if not. */
async function inhibitionSettles(state: () => Promise<unknown>, expected: unknown): Promise<void> {
  await waitFor("inhibition to settle", async () => isDeepStrictEqual(await state(), expected), {
    timeoutMs: 15_000,
    intervalMs: 200,
  }).catch(async (error) => {
    throw new Error(`${(error as Error).message}; states: ${JSON.stringify(await state())}`);
  });
}

async function routeFor(labels: Record<string, string>): Promise<string> {
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const result = await run(findBinary(["amtool"]), [
    "config",
    "routes",
    "test",
    `--config.file=${CONFIG}`,
    ...args,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe("alertmanager.yml", () => {
  const amtool = findBinary(["amtool"]);
  it(`passes amtool check-config (amtool ${binaryVersion(amtool)})`, async () => {
    const result = await run(amtool, ["check-config", CONFIG]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS/);
  });

  it("keeps its commented Slack/PagerDuty example valid", async () => {
    const text = await readFile(CONFIG, "utf8");
    const example = text
      .slice(text.indexOf("# Production receivers"))
      .split("\n")
      .filter((line) => line.startsWith("#  "))
      .map((line) => line.slice(3))
      .join("\n");
    const receivers = parse(example);
    expect(receivers.map((r: { name: string }) => r.name)).toEqual(["page", "ticket", "watchdog"]);
    const dir = await mkdtemp(path.join(tmpdir(), "am-example-"));
    try {
      const file = path.join(dir, "alertmanager.yml");
      await writeFile(file, stringify({ ...parse(text), receivers }));
      const result = await run(findBinary(["amtool"]), ["check-config", file]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("routes by severity", async () => {
    expect(await routeFor({ alertname: "ResourceServiceDown", severity: "page" })).toBe("page");
    expect(await routeFor({ alertname: "ResourceCacheHitRateLow", severity: "ticket" })).toBe("ticket");
    expect(
      await routeFor({ alertname: "PrometheusRuleFailures", severity: "ticket", service: "prometheus" }),
    ).toBe("ticket");
    expect(await routeFor({ alertname: "Unlabelled" })).toBe("ticket");
  });

  it("routes the Watchdog to its own receiver, whatever its other labels say", async () => {
    expect(await routeFor({ alertname: WATCHDOG_ALERT, severity: "none", service: "prometheus" })).toBe(
      "watchdog",
    );
    expect(await routeFor({ alertname: WATCHDOG_ALERT, severity: "page" })).toBe("watchdog");
    const config = parse(await readFile(CONFIG, "utf8"));
    const watchdog = config.receivers.find((r: { name: string }) => r.name === "watchdog");
    // A resolved Watchdog (Prometheus gone) must not count as a heartbeat.
    expect(watchdog.webhook_configs).toEqual([
      expect.objectContaining({ url: "http://alert-webhook:5001/watchdog", send_resolved: false }),
    ]);
  });

  it("names only alerts that the rules define in its routes and inhibit rules", async () => {
    const config = parse(await readFile(CONFIG, "utf8"));
    const matchers: string[] = [
      ...config.route.routes.flatMap((r: { matchers?: string[] }) => r.matchers ?? []),
      ...config.inhibit_rules.flatMap((r: { source_matchers: string[]; target_matchers: string[] }) => [
        ...r.source_matchers,
        ...r.target_matchers,
      ]),
    ];
    const named = matchers
      .map((m) => /^alertname(=~|!~|=|!=)"(.+)"$/.exec(m))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(named.length).toBeGreaterThanOrEqual(5);
    for (const [, , value] of named) {
      // A list of names: each one must exist; any other pattern must match at least one.
      if (/^[A-Za-z0-9|]+$/.test(value ?? "")) {
        for (const name of (value ?? "").split("|")) expect(alertNames.has(name), name).toBe(true);
        continue;
      }
      const pattern = new RegExp(`^(?:${value})$`);
      expect(
        [...alertNames].some((a) => pattern.test(a)),
        value,
      ).toBe(true);
    }
  });
});

describe("inhibition in a running Alertmanager", () => {
  let am: AlertmanagerProcess;
  beforeAll(async () => {
    am = await startAlertmanager();
  });
  afterAll(async () => {
    await am?.stop();
  });

  const svc = "mcp-resource-service";
  const alert = (alertname: string, severity: string, extra: Record<string, string> = {}) => ({
    labels: { alertname, severity, service: svc, ...extra },
  });

  it("suppresses symptoms of a cache outage and of a service outage, and nothing else", async () => {
    await postAlerts(am.url, [
      alert("ResourceCacheUnavailable", "ticket", { job: "redis" }),
      alert("ResourceCacheHitRateLow", "ticket"),
      alert("ResourceLatencySLOFastBurn", "page", { slo: "resource-loading-latency" }),
      alert("ResourceLatencySLOSlowBurn", "ticket", { slo: "resource-loading-latency" }),
      alert("ResourceAvailabilitySLOSlowBurn", "ticket", { slo: "resource-availability" }),
      alert("RedisEvictingKeys", "ticket", { service: "redis" }),
    ]);
    const state = async () =>
      Object.fromEntries((await alertmanagerAlerts(am.url)).map((a) => [a.labels.alertname, a.status.state]));
    const expected = {
      ResourceCacheUnavailable: "active",
      ResourceCacheHitRateLow: "suppressed",
      ResourceLatencySLOFastBurn: "active",
      ResourceLatencySLOSlowBurn: "suppressed",
      ResourceAvailabilitySLOSlowBurn: "active",
      RedisEvictingKeys: "active",
    };
    await inhibitionSettles(state, expected);

    // The service going down silences the rest of its alerts, but not Redis' own.
    await postAlerts(am.url, [alert("ResourceServiceDown", "page")]);
    await waitFor(
      "service-down inhibition",
      async () => {
        const s = await state();
        return (
          s.ResourceServiceDown === "active" &&
          s.ResourceCacheUnavailable === "suppressed" &&
          s.ResourceLatencySLOFastBurn === "suppressed" &&
          s.ResourceAvailabilitySLOSlowBurn === "suppressed" &&
          s.RedisEvictingKeys === "active"
        );
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}; states: ${JSON.stringify(await state())}`);
    });
  }, 60_000);

  it("never inhibits the Watchdog, not even while Prometheus' own target is down", async () => {
    const prometheus = (alertname: string, severity: string) => ({
      labels: { alertname, severity, service: "prometheus" },
    });
    await postAlerts(am.url, [
      prometheus("ScrapeTargetDown", "ticket"),
      prometheus("PrometheusRuleFailures", "ticket"),
      prometheus(WATCHDOG_ALERT, "none"),
    ]);
    const state = async () =>
      Object.fromEntries(
        (await alertmanagerAlerts(am.url))
          .filter((a) => a.labels.service === "prometheus")
          .map((a) => [a.labels.alertname, a.status.state]),
      );
    const expected = {
      ScrapeTargetDown: "active",
      PrometheusRuleFailures: "suppressed",
      [WATCHDOG_ALERT]: "active",
    };
    await inhibitionSettles(state, expected);
  }, 60_000);

  it("lets the page for a down balancer hold back its scrape ticket, and the page for the service its replica ticket", async () => {
    const balancer = { job: JOBS.balancer, instance: `haproxy:${HAPROXY_METRICS_PORT}` };
    const exporter = { job: JOBS.redis, instance: "redis-exporter:9121" };
    const replica = "10.89.0.13:8000";
    await postAlerts(am.url, [
      { labels: { alertname: "ResourceServiceDown", severity: "page", service: svc, ...balancer } },
      { labels: { alertname: "ScrapeTargetDown", severity: "ticket", service: JOBS.balancer, ...balancer } },
      { labels: { alertname: "ScrapeTargetDown", severity: "ticket", service: JOBS.redis, ...exporter } },
      {
        labels: {
          alertname: "ResourceServiceReplicaDown",
          severity: "ticket",
          service: svc,
          job: JOBS.service,
          instance: replica,
        },
      },
    ]);
    const state = async () =>
      Object.fromEntries(
        (await alertmanagerAlerts(am.url))
          .filter((a) => [balancer.instance, exporter.instance, replica].includes(a.labels.instance ?? ""))
          .map((a) => [`${a.labels.alertname} ${a.labels.job}`, a.status.state]),
      );
    const expected = {
      [`ResourceServiceDown ${JOBS.balancer}`]: "active",
      [`ScrapeTargetDown ${JOBS.balancer}`]: "suppressed",
      [`ScrapeTargetDown ${JOBS.redis}`]: "active",
      [`ResourceServiceReplicaDown ${JOBS.service}`]: "suppressed",
    };
    await inhibitionSettles(state, expected);
  }, 60_000);
});
