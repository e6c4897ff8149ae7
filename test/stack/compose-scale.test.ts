/**
 * The scaled compose stack as `SERVICE_REPLICAS=3 docker compose -f docker-compose.yml -f
 * docker-compose.sentinel.yml up` runs it (the offline images when `task images:offline` built
 * them): three replicas behind HAProxy, Redis as master, two replicas and three Sentinels
 * behind HAProxy's role:master backend. Real dockerd, compose, HAProxy, Sentinel: a replica
 * killed under load costs no GET, and a killed master is replaced with every replica's cache
 * connection back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_BACKENDS, JOBS } from "../../lib/contract/stack.js";
import { backendActiveServers } from "../../lib/harness/haproxy.js";
import { waitFor } from "../../lib/harness/ports.js";
import { activeTargets, instantQuery } from "../../lib/harness/prometheus-api.js";
import { redisCommand } from "../../lib/harness/redis.js";
import { startContainersStack } from "../../lib/harness/stack/containers.js";
import { dockerEngineAnswers, type Stack } from "../../lib/harness/stack/index.js";
import { FREE_PORTS } from "../../lib/harness/stack/types.js";

const ENGINE = await dockerEngineAnswers();
if (!ENGINE) console.warn("scaled compose stack tests SKIPPED: no Docker engine answers on this machine");

const REPLICAS = 3;

/** A replica's own count of core requests served, read from its /metrics (bypassing HAProxy). */
async function requestsServed(replicaUrl: string): Promise<number> {
  const text = await (await fetch(`${replicaUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter(
      (l) =>
        l.startsWith("http_request_duration_seconds_count{") &&
        l.includes('route="/mcp/resources/sdlc/:name"'),
    )
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

async function cacheUp(replicaUrl: string): Promise<number> {
  const text = await (await fetch(`${replicaUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("mcp_resource_cache_up "));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

/** GETs through HAProxy from `workers` loops until stopped; failures are statuses other than 200 and errors. */
function smallLoad(baseUrl: string, workers = 4) {
  let running = true;
  const result = { ok: 0, failed: [] as string[] };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const response = await fetch(`${baseUrl}/mcp/resources/sdlc/core`);
        await response.arrayBuffer();
        if (response.status === 200) result.ok++;
        else result.failed.push(`status ${response.status}`);
      } catch (error) {
        result.failed.push(String((error as Error).cause ?? error));
      }
    }
  });
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

describe.runIf(ENGINE)("compose: three replicas behind HAProxy, Redis with Sentinel", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startContainersStack({
      replicas: REPLICAS,
      redisTopology: "sentinel",
      ports: FREE_PORTS,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
      ephemeralData: true,
    });
    console.info(`scaled compose stack: project ${stack.projectName} (${stack.envFile})`);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it("has Prometheus scrape each replica (job mcp-resource-service) and HAProxy (job haproxy)", async () => {
    const targets = await waitFor(
      "three replicas and HAProxy up",
      async () => {
        const found = await activeTargets(stack.urls.prometheus);
        const up = (job: string) => found.filter((t) => t.labels.job === job && t.health === "up");
        return up(JOBS.service).length === REPLICAS && up(JOBS.balancer).length === 1 && found;
      },
      { timeoutMs: 90_000, intervalMs: 1_000 },
    );
    const replicaInstances = targets
      .filter((t) => t.labels.job === JOBS.service)
      .map((t) => t.labels.instance);
    expect(new Set(replicaInstances).size).toBe(REPLICAS);
    expect(targets.find((t) => t.labels.job === JOBS.balancer)?.labels.instance).toBe("haproxy:8404");
    const up = await instantQuery(stack.urls.prometheus, `up{job="${JOBS.service}"} == 1`);
    expect(up).toHaveLength(REPLICAS);
  }, 120_000);

  it("serves through HAProxy's port from several replicas, each reachable at its own address", async () => {
    expect(stack.replicas).toBe(REPLICAS);
    expect(stack.urls.serviceReplicas).toHaveLength(REPLICAS);
    expect((await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service]).toBe(REPLICAS);
    const before = await Promise.all(stack.urls.serviceReplicas.map(requestsServed));
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${stack.urls.service}/mcp/resources/sdlc/core`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    }
    const after = await Promise.all(stack.urls.serviceReplicas.map(requestsServed));
    const served = after.map((count, i) => count - (before[i] ?? 0));
    console.info(`requests per replica: ${served.join(", ")}`);
    expect(served.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(served.reduce((a, b) => a + b, 0)).toBe(30);
  }, 60_000);

  it("loses no GET when a replica is killed under load, and routes to it again once started", async () => {
    const load = smallLoad(stack.urls.service);
    await new Promise((r) => setTimeout(r, 1_000));
    await stack.stopReplica(1, { kill: true });
    await waitFor(
      "HAProxy to take the killed replica out",
      async () =>
        (await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service] === REPLICAS - 1,
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const { ok, failed } = await load.stop();
    console.info(`during the kill: ${ok} GETs answered 200, ${failed.length} failed`);
    expect(ok).toBeGreaterThan(20);
    expect(failed).toEqual([]);

    await stack.startReplica(1);
    expect((await backendActiveServers(stack.urls.balancerMetrics))[HAPROXY_BACKENDS.service]).toBe(REPLICAS);
  }, 120_000);

  it("fails over a killed master: writes through HAProxy within 10 s, every replica's cache within 15 s", async () => {
    const redisPort = Number(new URL(String(stack.urls.redis)).port);
    expect(await redisCommand(redisPort, ["SET", "failover-probe", "before"])).toBe("+OK");
    const master = await stack.redisMaster?.();
    expect(master?.name).toBe("redis");
    for (const url of stack.urls.serviceReplicas) expect(await cacheUp(url).catch(() => Number.NaN)).toBe(1);

    const killed = performance.now();
    await stack.stopRedisNode?.("redis", { kill: true });
    await waitFor(
      "a write through HAProxy's :6379",
      async () =>
        (await redisCommand(redisPort, ["SET", "failover-probe", "after"], 500).catch(() => "")) === "+OK",
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const writesBack = performance.now() - killed;
    const newMaster = await stack.redisMaster?.();
    await waitFor(
      "every replica's cache connection up",
      async () =>
        (await Promise.all(stack.urls.serviceReplicas.map((u) => cacheUp(u).catch(() => 0)))).every(
          (v) => v === 1,
        ),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const cachesBack = performance.now() - killed;
    console.info(
      `failover to ${newMaster?.name}: writes after ${Math.round(writesBack)} ms, every replica's cache after ${Math.round(cachesBack)} ms`,
    );
    expect(newMaster?.name).not.toBe("redis");
    expect(writesBack).toBeLessThan(10_000);
    expect(cachesBack).toBeLessThan(15_000);
    for (const url of stack.urls.serviceReplicas) {
      const readiness = (await (await fetch(`${url}/readyz`)).json()) as { checks: { cache: string } };
      expect(readiness.checks.cache, url).toBe("ok");
    }
    // The exporter reaches the new master through HAProxy as well.
    await waitFor(
      "redis_up 1 from the exporter",
      async () =>
        (await instantQuery(stack.urls.prometheus, `redis_up{job="${JOBS.redis}"} == 1`)).length === 1,
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
  }, 120_000);
});

if (!ENGINE) {
  describe("compose: three replicas behind HAProxy, Redis with Sentinel", () => {
    it.skip("needs a Docker engine", () => {});
  });
}
