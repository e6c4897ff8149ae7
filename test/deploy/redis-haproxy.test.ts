import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinary } from "../../lib/harness/binaries.js";
import { type Daemon, httpOk, startDaemon } from "../../lib/harness/daemon.js";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";
import { type Manifest, only, render } from "./chart.js";

/**
 * The chart's Sentinel mode, run for real: the haproxy.cfg it renders (templates/_haproxy.tpl), in a real HAProxy
 * (Debian's, 2.6; the chart's image runs 3.2 with the same configuration keywords), in front of
 * two real redis-servers with a password. Sentinel itself is played by REPLICAOF, which is what
 * a Sentinel failover sends to the nodes; HAProxy only ever looks at the nodes' roles.
 */

const PASSWORD = "0123456789abcdef0123456789abcdef";
/** The test's check clock; the defaults (1 s, 2 failures) only take longer. */
const CHECK_INTERVAL_MS = 200;
const FALL = 1;

/** Sends inline commands on one connection and returns all Redis answered (QUIT ends it). */
async function redis(port: number, commands: readonly string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let answer = "";
    socket.setTimeout(3_000, () => {
      socket.destroy();
      reject(new Error(`no answer from ${port} to ${commands.join("; ")}: ${answer}`));
    });
    socket.on("error", reject);
    socket.on("data", (data) => {
      answer += data.toString();
    });
    socket.on("close", () => resolve(answer));
    socket.on("connect", () => socket.write(`${[...commands, "QUIT"].join("\r\n")}\r\n`));
  });
}

/** The tcp_port of the Redis a new client connection through `port` lands on. */
async function landsOn(port: number): Promise<number> {
  const info = await redis(port, [`AUTH ${PASSWORD}`, "INFO server"]);
  return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
}

interface Node {
  readonly port: number;
  readonly daemon: Daemon;
}

/** A password-protected redis-server; `dir` takes the RDB a replica receives on a full sync. */
async function startNode(dir: string, replicaOf?: number): Promise<Node> {
  const port = await getFreePort();
  const daemon = await startDaemon({
    name: `redis-server ${port}`,
    command: findBinary(["redis-server"]),
    args: [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      ...["--dir", dir, "--dbfilename", `dump-${port}.rdb`],
      ...["--requirepass", PASSWORD, "--masterauth", PASSWORD],
      ...(replicaOf ? ["--replicaof", "127.0.0.1", String(replicaOf)] : []),
    ],
    ready: async () => (await redis(port, [`AUTH ${PASSWORD}`, "PING"]).catch(() => "")).includes("+PONG"),
  });
  return { port, daemon };
}

describe("Sentinel mode: the rendered HAProxy forwards to whichever node is master", () => {
  let master: Node;
  let replica: Node;
  let haproxy: Daemon;
  let redisPort: number;
  let monitorPort: number;
  let manifests: Manifest[];
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "redis-haproxy-"));
    master = await startNode(dir);
    replica = await startNode(dir, master.port);
    redisPort = await getFreePort();
    monitorPort = await getFreePort();
    manifests = await render({
      set: [
        "redis.auth.existingSecret=redis-auth",
        "redis.sentinel.enabled=true",
        `redis.sentinel.nodes={127.0.0.1:${master.port},127.0.0.1:${replica.port}}`,
        `redis.sentinel.haproxy.port=${redisPort}`,
        `redis.sentinel.haproxy.monitorPort=${monitorPort}`,
        `redis.sentinel.haproxy.checkInterval=${CHECK_INTERVAL_MS}ms`,
        `redis.sentinel.haproxy.fall=${FALL}`,
        "redis.sentinel.haproxy.rise=1",
        "redis.sentinel.haproxy.readinessDelaySeconds=1",
      ],
    });
    const config = only(manifests, "ConfigMap", "mcp-sdlc-resource-stack-redis-haproxy").data?.[
      "haproxy.cfg"
    ];
    if (!config) throw new Error("no haproxy.cfg rendered");
    const configFile = path.join(dir, "haproxy.cfg");
    // In a pod HAProxy listens on every interface; here only on loopback.
    await writeFile(configFile, config.replaceAll(/^(\s*bind) :/gm, "$1 127.0.0.1:"));
    haproxy = await startDaemon({
      name: "haproxy",
      command: findBinary(["haproxy"]),
      args: ["-db", "-f", configFile],
      env: { ...process.env, REDIS_PASSWORD: PASSWORD },
      ready: () => httpOk(`http://127.0.0.1:${monitorPort}/healthz`),
    });
    // As the kubelet would: no client before the readiness probe's first run.
    await new Promise((r) => setTimeout(r, readinessProbe().initialDelaySeconds * 1000));
  }, 60_000);

  afterAll(async () => {
    await haproxy?.stop();
    await replica?.daemon.stop();
    await master?.daemon.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function readinessProbe() {
    return only(manifests, "Deployment", "mcp-sdlc-resource-stack-redis-haproxy").spec.template.spec
      .containers[0].readinessProbe;
  }

  it("probes the pod where HAProxy answers, once its first checks have run", () => {
    expect(readinessProbe().httpGet).toEqual({ path: "/healthz", port: "monitor" });
    expect(readinessProbe().initialDelaySeconds * 1000).toBeGreaterThan(CHECK_INTERVAL_MS * FALL);
  });

  it("sends clients to the master, which the service's writes need", async () => {
    expect(await landsOn(redisPort)).toBe(master.port);
    const answer = await redis(redisPort, [`AUTH ${PASSWORD}`, "SET chart:probe ok", "GET chart:probe"]);
    expect(answer).toContain("+OK\r\n+OK\r\n$2\r\nok");
    const metrics = await (await fetch(`http://127.0.0.1:${monitorPort}/metrics`)).text();
    expect(metrics).toMatch(/haproxy_backend_active_servers\{proxy="redis_master"\} 1/);
  });

  it("follows a failover and cuts the demoted master's client connections", async () => {
    const held: Socket = connect({ host: "127.0.0.1", port: redisPort });
    const closed = new Promise<void>((resolve) => held.once("close", () => resolve()));
    held.on("error", () => {});
    held.write(`AUTH ${PASSWORD}\r\n`);
    await new Promise((r) => held.once("data", r));

    // What Sentinel sends on a failover: promote the replica, re-point the old master.
    await redis(replica.port, [`AUTH ${PASSWORD}`, "REPLICAOF NO ONE"]);
    await redis(master.port, [`AUTH ${PASSWORD}`, `REPLICAOF 127.0.0.1 ${replica.port}`]);

    await waitFor("HAProxy to send new clients to the promoted replica", async () => {
      return (await landsOn(redisPort)) === replica.port;
    });
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error("held connection not cut")), 5_000)),
    ]);
  });

  it("is not ready while no node is master, and ready again once one is", async () => {
    const nowhere = await getFreePort();
    await redis(replica.port, [`AUTH ${PASSWORD}`, `REPLICAOF 127.0.0.1 ${nowhere}`]);
    const health = `http://127.0.0.1:${monitorPort}/healthz`;
    await waitFor("/healthz to fail without a master", async () => !(await httpOk(health)));
    await redis(replica.port, [`AUTH ${PASSWORD}`, "REPLICAOF NO ONE"]);
    await waitFor("/healthz to pass again", () => httpOk(health));
    expect(await landsOn(redisPort)).toBe(replica.port);
  });
});
