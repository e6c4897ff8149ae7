import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_BACKENDS, HAPROXY_METRICS_PORT, JOBS, SCRAPE_INTERVAL } from "../../lib/contract/stack.js";
import { findBinary } from "../../lib/harness/binaries.js";
import { type Daemon, httpOk, startDaemon } from "../../lib/harness/daemon.js";
import { getFreePort } from "../../lib/harness/ports.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { HAPROXY_METRICS, HAPROXY_SERVER_STATES } from "../src/haproxy-metrics.js";
import { OUTPUT_PATHS } from "../src/outputs.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { allAlerts, ruleSet } from "../src/rules/index.js";
import {
  allPanels,
  loadDashboard,
  substituteVariables,
  testWithGeneratedRules,
} from "./dashboard-queries.js";

/**
 * The HAProxy series the alerts and the dashboard read, from a real HAProxy (Debian's 2.6; the
 * series are the same in 3.x's exporter) running the project's infra/haproxy/*.cfg, only bound
 * to loopback and with two local servers added to the service backend: one that answers
 * /readyz, one that refuses. Without Docker's DNS the `server-template` slots and the Redis
 * nodes do not resolve and sit in MAINT, as in compose when no container has the name.
 * The scraped samples then feed promtool, which evaluates the alerts and every HAProxy panel
 * query on them.
 */

const HAPROXY_DIR = path.join(REPO_ROOT, "infra/haproxy");
const rules = ruleSet(DEFAULT_PARAMS);
const TARGET = { job: JOBS.balancer, instance: `haproxy:${HAPROXY_METRICS_PORT}` };

let dir: string;
let replica: Server;
let haproxy: Daemon;
let metrics: string;

/** The project's configs for loopback: ports moved, the live and the dead replica added. */
async function loopbackConfig(ports: { service: number; metrics: number; redis: number }, live: number) {
  const dead = await getFreePort();
  const main = (await readFile(path.join(HAPROXY_DIR, "haproxy.cfg"), "utf8"))
    .replace(/bind :8000\b/, `bind 127.0.0.1:${ports.service}`)
    .replace(new RegExp(`bind :${HAPROXY_METRICS_PORT}\\b`), `bind 127.0.0.1:${ports.metrics}`)
    .replace(
      /(\n\s*server-template [^\n]+)/,
      `$1\n  server live 127.0.0.1:${live}\n  server dead 127.0.0.1:${dead}`,
    );
  const redis = (await readFile(path.join(HAPROXY_DIR, "redis-master.cfg"), "utf8")).replace(
    /bind :6379\b/,
    `bind 127.0.0.1:${ports.redis}`,
  );
  expect(main).toContain("server live");
  return { main, redis };
}

/** `name{labels} value` lines of the exposition format, for the given metric names. */
function samples(text: string, names: readonly string[]): { series: string; value: number }[] {
  return text
    .split("\n")
    .filter((line) => names.some((n) => line.startsWith(`${n}{`)))
    .map((line) => {
      const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsed exposition line: ${line}`);
      const [, name, labels, value] = match;
      const target = Object.entries(TARGET).map(([k, v]) => `${k}="${v}"`);
      return { series: `${name}{${[...target, labels].join(",")}}`, value: Number(value) };
    });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "haproxy-metrics-"));
  replica = createServer((_, res) => res.end("ok"));
  await new Promise<void>((resolve) => replica.listen(0, "127.0.0.1", resolve));
  const ports = { service: await getFreePort(), metrics: await getFreePort(), redis: await getFreePort() };
  const { main, redis } = await loopbackConfig(ports, (replica.address() as AddressInfo).port);
  await writeFile(path.join(dir, "haproxy.cfg"), main);
  await writeFile(path.join(dir, "redis-master.cfg"), redis);
  haproxy = await startDaemon({
    name: "haproxy",
    command: findBinary(["haproxy"]),
    args: ["-db", "-f", path.join(dir, "haproxy.cfg"), "-f", path.join(dir, "redis-master.cfg")],
    ready: () => httpOk(`http://127.0.0.1:${ports.metrics}/healthz`),
  });
  // `rise 2` at `inter 1s`: the live server is UP after its second passing check.
  const deadline = Date.now() + 15_000;
  do {
    await new Promise((r) => setTimeout(r, 500));
    metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
  } while (
    !metrics.includes(`${HAPROXY_METRICS.activeServers}{proxy="${HAPROXY_BACKENDS.service}"} 1`) &&
    Date.now() < deadline
  );
}, 60_000);

afterAll(async () => {
  await haproxy?.stop();
  await new Promise((resolve) => replica?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("HAProxy's exporter, running the project's configs", () => {
  it("exports every series the rules and dashboards read, for the contract's backends", () => {
    for (const metric of Object.values(HAPROXY_METRICS)) {
      expect(metrics, metric).toMatch(new RegExp(`^${metric}\\{proxy="${HAPROXY_BACKENDS.service}"`, "m"));
    }
    for (const backend of Object.values(HAPROXY_BACKENDS)) {
      expect(metrics, backend).toContain(`${HAPROXY_METRICS.activeServers}{proxy="${backend}"}`);
    }
  });

  it("counts only the replica that passes /readyz as active, and keeps server-template slots in MAINT", () => {
    expect(metrics).toContain(`${HAPROXY_METRICS.activeServers}{proxy="${HAPROXY_BACKENDS.service}"} 1`);
    const state = (server: string, s: string) =>
      `${HAPROXY_METRICS.serverStatus}{proxy="${HAPROXY_BACKENDS.service}",server="${server}",state="${s}"} 1`;
    expect(metrics).toContain(state("live", "UP"));
    expect(metrics).toContain(state("dead", "DOWN"));
    expect(metrics).toContain(state("replica1", "MAINT"));
    const states = new Set(
      [...metrics.matchAll(new RegExp(`^${HAPROXY_METRICS.serverStatus}\\{[^}]*state="(\\w+)"`, "gm"))].map(
        (m) => m[1],
      ),
    );
    expect([...states].sort()).toEqual([...HAPROXY_SERVER_STATES].sort());
  });

  it("feeds the alerts and every HAProxy panel query in promtool", async () => {
    const input = samples(metrics, Object.values(HAPROXY_METRICS)).map((s) => ({
      series: s.series,
      values: `${s.value}+0x40`,
    }));
    const alert = (name: string) => {
      const found = allAlerts(rules).find((a) => a.alert === name);
      if (!found) throw new Error(`no alert ${name}`);
      return found.expr;
    };
    const panelQueries = allPanels(await loadDashboard(OUTPUT_PATHS.resourceDashboard))
      .flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""))
      .filter((expr) => expr.includes("haproxy_"))
      .map(substituteVariables);
    expect(panelQueries.length).toBeGreaterThanOrEqual(3);
    const nodes = ["redis", "redis-replica-1", "redis-replica-2"];
    const result = await testWithGeneratedRules(dir, "haproxy", [
      {
        name: "HAProxy 2.6's own series",
        // Scraped as often as the stack does: Prometheus 3's left-open ranges hold no two
        // samples of a 1m series in a 1m window (the panels' $__rate_interval here).
        interval: SCRAPE_INTERVAL,
        input_series: [
          ...input,
          { series: `up{job="${JOBS.service}", instance="10.89.0.11:8000"}`, values: "1+0x40" },
        ],
        promql_expr_test: [
          // One replica in rotation: the service is not down for HAProxy's part.
          { expr: alert("ResourceServiceDown"), eval_time: "5m", exp_samples: [] },
          // No Redis node resolves here: each is reported, without the `state` label.
          {
            expr: alert("RedisNodeDown"),
            eval_time: "5m",
            exp_samples: nodes.map((server) => ({
              labels: `{job="${TARGET.job}", instance="${TARGET.instance}", proxy="${HAPROXY_BACKENDS.redisNodes}", server="${server}"}`,
              value: 0,
            })),
          },
          // Every panel query returns data (rates of flat counters are 0, not empty).
          ...panelQueries.map((expr) => ({
            expr: `clamp_max(count(${expr}), 1)`,
            eval_time: "5m",
            exp_samples: [{ labels: "{}", value: 1 }],
          })),
        ],
      },
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 60_000);
});
