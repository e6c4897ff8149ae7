import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_BACKENDS, JOBS } from "../../lib/contract/stack.js";
import { backendActiveServers, serverStates } from "../../lib/harness/haproxy.js";
import { waitFor } from "../../lib/harness/ports.js";
import { instantQuery } from "../../lib/harness/prometheus-api.js";
import { type NativeStack, startNativeStack } from "../../lib/harness/stack/native.js";
import { FREE_PORTS } from "../../lib/harness/stack/types.js";
import { samplesWith, watchServerStates } from "../support/haproxy-watch.js";

/**
 * The native twin scaled out: three service replicas behind HAProxy and Redis with Sentinel
 * (a master, two replicas, three sentinels) behind HAProxy's role:master frontend. Prometheus
 * sees every replica and the balancer; the balancer spreads requests and hides a killed
 * replica; a killed Redis master fails over while the replicas' own clients follow it.
 */

const REPLICAS = 3;

/** Resource loads a replica counted (its own /metrics, not the balancer's). */
async function loads(replicaUrl: string): Promise<number> {
  const text = await (await fetch(`${replicaUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("mcp_resource_loading_latency_seconds_count"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

async function readiness(url: string): Promise<{ status?: string }> {
  return (await (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })).json()) as {
    status?: string;
  };
}

async function cacheUp(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  const match = /^mcp_resource_cache_up(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

async function writeThrough(url: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    await Promise.race([
      client.set("native-failover-probe", String(Date.now())),
      new Promise((_, reject) => setTimeout(() => reject(new Error("SET timed out")), 1_000)),
    ]);
  } finally {
    client.destroy();
  }
}

/** GETs through the balancer from two loops until stopped; failures kept. */
function steadyLoad(url: string) {
  const failures: string[] = [];
  let ok = 0;
  let running = true;
  const loops = [0, 1].map(async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        if (response.status === 200) ok++;
        else failures.push(`HTTP ${response.status}`);
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    failures,
    ok: () => ok,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe("native stack with 3 replicas and Redis Sentinel", () => {
  let stack: NativeStack;
  let logDir: string;

  beforeAll(async () => {
    logDir = await mkdtemp(path.join(tmpdir(), "native-scale-"));
    stack = await startNativeStack({
      replicas: REPLICAS,
      redisTopology: "sentinel",
      ports: FREE_PORTS,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
      logDir,
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  }, 60_000);

  it("Prometheus scrapes every replica as its own instance, and HAProxy", async () => {
    expect(stack.replicas).toBe(REPLICAS);
    expect(stack.urls.serviceReplicas).toHaveLength(REPLICAS);
    const up = await waitFor(
      "up == 1 for every replica and for haproxy",
      async () => {
        const samples = await instantQuery(
          stack.urls.prometheus,
          `up{job=~"${JOBS.service}|${JOBS.balancer}"} == 1`,
        );
        return samples.length === REPLICAS + 1 && samples;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(
      up
        .filter((s) => s.metric.job === JOBS.service)
        .map((s) => s.metric.instance)
        .sort(),
    ).toEqual(stack.urls.serviceReplicas.map((u) => new URL(u).host).sort());
    expect(up.filter((s) => s.metric.job === JOBS.balancer)).toHaveLength(1);
  }, 90_000);

  it("spreads requests through the balancer over every replica", async () => {
    const before = await Promise.all(stack.urls.serviceReplicas.map(loads));
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${stack.urls.service}/mcp/resources/sdlc/core`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const after = await Promise.all(stack.urls.serviceReplicas.map(loads));
    after.forEach((count, i) => {
      expect(count, `replica ${i}`).toBeGreaterThan(before[i] as number);
    });
  });

  it("hides a SIGKILLed replica from GETs, and brings it back", async () => {
    const load = steadyLoad(`${stack.urls.service}/mcp/resources/templates/adr`);
    await new Promise((r) => setTimeout(r, 500));
    await stack.stopReplica(0, { kill: true });
    await waitFor(
      "the balancer down to two replicas",
      async () => (await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service] === 2,
      { timeoutMs: 5_000, intervalMs: 200 },
    );
    await new Promise((r) => setTimeout(r, 500));
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.ok()).toBeGreaterThan(20);
    await stack.startReplica(0);
    expect((await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service]).toBe(REPLICAS);
  }, 60_000);

  it("stops every replica with the service and starts only the missing ones", async () => {
    await stack.stopReplica(1);
    await stack.stopComponent("service");
    await waitFor(
      "no replica in the balancer",
      async () => (await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service] === 0,
      { timeoutMs: 5_000, intervalMs: 200 },
    );
    await stack.startComponent("service");
    await stack.startComponent("service");
    expect((await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service]).toBe(REPLICAS);
    for (const url of stack.urls.serviceReplicas) expect((await fetch(`${url}/readyz`)).status).toBe(200);
  }, 90_000);

  it("fails over a killed Redis master: writes within 10 s, never to the old master, replicas back on Redis", async () => {
    if (!stack.redisMaster || !stack.stopRedisNode || !stack.startRedisNode)
      throw new Error("no Sentinel API");
    expect((await stack.redisMaster()).name).toBe("redis");
    const watch = watchServerStates(stack.urls.balancerMetrics);

    const killedAt = Date.now();
    await stack.stopRedisNode("redis", { kill: true });
    await waitFor(
      "a write through HAProxy's Redis frontend",
      async () => {
        await writeThrough(stack.urls.redis ?? "");
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const writableAfterMs = Date.now() - killedAt;
    const master = await waitFor(
      "the sentinels to report a new master",
      async () => {
        const current = await stack.redisMaster?.();
        return current && current.name !== "redis" && current;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(["redis-replica-1", "redis-replica-2"]).toContain(master.name);
    // The replicas' own long-lived clients (not fresh ones) follow the master through HAProxy.
    for (const url of stack.urls.serviceReplicas) {
      await waitFor(
        `${url} back on Redis`,
        async () => (await readiness(url)).status === "ready" && (await cacheUp(url)) === 1,
        { timeoutMs: 10_000, intervalMs: 250 },
      );
    }

    const restartedAt = Date.now();
    await stack.startRedisNode("redis");
    // Demoted by Sentinel within a few seconds; watch a while longer for a flap.
    await waitFor(
      "the old master back in redis-nodes",
      async () =>
        (await serverStates(stack.urls.balancerMetrics)).some(
          (s) => s.backend === HAPROXY_BACKENDS.redisNodes && s.server === "redis" && s.state === "UP",
        ),
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    await new Promise((r) => setTimeout(r, 4_000));
    const seen = await watch.stop();
    const oldMasterUp = { backend: HAPROXY_BACKENDS.redisMaster, server: "redis", state: "UP" };
    expect(samplesWith(seen, oldMasterUp, { from: restartedAt })).toEqual([]);
    expect(writableAfterMs).toBeLessThan(10_000);

    console.info(`native failover: writable ${writableAfterMs} ms after the kill, new master ${master.name}`);
  }, 90_000);
});
