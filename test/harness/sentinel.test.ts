import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_BACKENDS } from "../../lib/contract/stack.js";
import {
  type HaproxyProcess,
  serverStates,
  startHaproxy,
  waitForBackend,
} from "../../lib/harness/haproxy.js";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";
import { type RedisProcess, redisCommand, startRedis } from "../../lib/harness/redis.js";
import {
  agreedMaster,
  type SentinelProcess,
  sentinelMaster,
  startSentinel,
} from "../../lib/harness/sentinel.js";
import { type ServiceProcess, startServiceProcess } from "../../lib/harness/service.js";
import { samplesWith, watchServerStates } from "../support/haproxy-watch.js";

/**
 * The Sentinel topology from real parts: three redis-servers (a master and two replicas), three
 * sentinels, one haproxy loading haproxy.cfg and redis-master.cfg, and two service replicas
 * whose one Redis address is HAProxy's frontend. A real failover: the master is SIGKILLed.
 */

const NODE_NAMES = ["redis", "redis-replica-1", "redis-replica-2"] as const;

async function writeThrough(url: string, key: string, value: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    await Promise.race([
      client.set(key, value),
      new Promise((_, reject) => setTimeout(() => reject(new Error("SET timed out")), 1_000)),
    ]);
  } finally {
    client.destroy();
  }
}

async function role(port: number): Promise<string | undefined> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  try {
    return /^role:(\w+)/m.exec(await client.info("replication"))?.[1];
  } finally {
    client.destroy();
  }
}

async function readiness(url: string): Promise<{ status?: string; checks?: { cacheState?: string } }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
  return (await response.json()) as { status?: string; checks?: { cacheState?: string } };
}

async function cacheUp(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  const match = /^mcp_resource_cache_up(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

describe("Redis with Sentinel behind HAProxy", () => {
  const nodes = new Map<string, RedisProcess>();
  const sentinels: SentinelProcess[] = [];
  const services: ServiceProcess[] = [];
  let haproxy: HaproxyProcess;
  let logDir: string;

  beforeAll(async () => {
    logDir = await mkdtemp(path.join(tmpdir(), "sentinel-test-"));
    for (const name of NODE_NAMES) {
      const node = await startRedis({ projectConfig: true, logFile: path.join(logDir, `${name}.log`) });
      nodes.set(name, node);
      if (name !== "redis") {
        await redisCommand(node.port, ["REPLICAOF", "127.0.0.1", String(nodes.get("redis")?.port)]);
        await redisCommand(node.port, ["CONFIG", "REWRITE"]);
      }
    }
    const master = nodes.get("redis") as RedisProcess;
    for (let i = 0; i < 3; i++)
      sentinels.push(
        await startSentinel({ masterPort: master.port, logFile: path.join(logDir, `sentinel-${i}.log`) }),
      );
    const servicePorts = [await getFreePort(), await getFreePort()];
    haproxy = await startHaproxy({
      replicas: servicePorts.map((p) => `127.0.0.1:${p}`),
      redisNodes: Object.fromEntries(NODE_NAMES.map((n) => [n, `127.0.0.1:${nodes.get(n)?.port}`])),
      logFile: path.join(logDir, "haproxy.log"),
    });
    await waitForBackend(haproxy.metricsUrl, HAPROXY_BACKENDS.redisMaster, 1, { timeoutMs: 20_000 });
    for (const [i, port] of servicePorts.entries()) {
      services.push(
        await startServiceProcess({
          from: "source",
          port,
          redisUrl: haproxy.redisUrl as string,
          until: "cache-ready",
          name: `replica-${i + 1}`,
          env: { LOG_LEVEL: "info" },
          logFile: path.join(logDir, `service-${i + 1}.log`),
        }),
      );
    }
    await waitForBackend(haproxy.metricsUrl, HAPROXY_BACKENDS.service, 2);
  }, 90_000);

  afterAll(async () => {
    for (const service of services) await service.stop();
    await haproxy?.stop();
    for (const sentinel of sentinels) await sentinel.stop();
    for (const node of nodes.values()) await node.stop();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  }, 60_000);

  it("sentinels, HAProxy and the services agree on the initial master", async () => {
    const master = nodes.get("redis") as RedisProcess;
    expect(await sentinelMaster(sentinels[0]?.url as string)).toEqual({
      host: "127.0.0.1",
      port: master.port,
    });
    expect(await agreedMaster(sentinels.map((s) => s.url))).toEqual({ host: "127.0.0.1", port: master.port });
    const states = await serverStates(haproxy.metricsUrl);
    const up = (backend: string) =>
      states
        .filter((s) => s.backend === backend && s.state === "UP")
        .map((s) => s.server)
        .sort();
    expect(up(HAPROXY_BACKENDS.redisMaster)).toEqual(["redis"]);
    await waitFor("every node answering PING in redis-nodes", async () => {
      const nodeStates = (await serverStates(haproxy.metricsUrl)).filter(
        (s) => s.backend === HAPROXY_BACKENDS.redisNodes && s.state === "UP",
      );
      return nodeStates.length === 3;
    });
    for (const service of services) expect((await readiness(service.url)).status).toBe("ready");
  });

  it("fails over on a killed master: writes through HAProxy within 10 s, never to the restarted old master, services back on Redis", async () => {
    const old = nodes.get("redis") as RedisProcess;
    // Every haproxy state seen from the kill on: once restarted, the old master must never be UP
    // as master (before that, HAProxy needs up to one check interval to see the kill).
    const watch = watchServerStates(haproxy.metricsUrl);

    const killedAt = Date.now();
    await old.kill();
    await waitFor(
      "a write through HAProxy's Redis frontend",
      async () => {
        await writeThrough(haproxy.redisUrl as string, "failover-probe", "after");
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- haproxy ---\n${haproxy.output().slice(-3_000)}`);
    });
    const writableAfterMs = Date.now() - killedAt;

    const master = await waitFor(
      "the sentinels to agree on a new master",
      async () => {
        const agreed = await agreedMaster(sentinels.map((s) => s.url));
        return agreed.port !== old.port && agreed;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const promoted = [...nodes].find(([, node]) => node.port === master.port)?.[0];
    expect(["redis-replica-1", "redis-replica-2"]).toContain(promoted);
    expect(await redisCommand(master.port, ["GET", "failover-probe"])).toBe("$5");

    // The old master comes back saying role:master (with no replicas) until Sentinel demotes it.
    const restartedAt = Date.now();
    await old.start();
    await waitFor("the old master demoted to a replica", async () => (await role(old.port)) === "slave", {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    // Its demotion is seen; a few more seconds of checks for a late flap.
    await new Promise((r) => setTimeout(r, 3_000));
    const seen = await watch.stop();
    const oldMaster = { backend: HAPROXY_BACKENDS.redisMaster, server: "redis" };
    expect(
      samplesWith(seen, { ...oldMaster, state: "DOWN" }, { before: restartedAt }).length,
    ).toBeGreaterThan(0);
    expect(samplesWith(seen, { ...oldMaster, state: "UP" }, { from: restartedAt })).toEqual([]);
    expect(writableAfterMs).toBeLessThan(10_000);

    // The services' own clients (not fresh ones) find the new master through HAProxy.
    for (const service of services) {
      await waitFor(
        `${service.name} using Redis again`,
        async () => (await readiness(service.url)).status === "ready" && (await cacheUp(service.url)) === 1,
        { timeoutMs: 10_000, intervalMs: 250 },
      ).catch(async (error: Error) => {
        const log = await readFile(
          path.join(logDir, `${service.name.replace("replica", "service")}.log`),
          "utf8",
        );
        throw new Error(
          `${error.message}: ${JSON.stringify(await readiness(service.url))}\n--- ${service.name} ---\n${log.slice(-3_000)}\n--- haproxy ---\n${haproxy.output().slice(-3_000)}`,
        );
      });
    }
    console.info(
      `failover: writable through HAProxy ${writableAfterMs} ms after the kill; new master ${promoted}`,
    );
  }, 90_000);
});
