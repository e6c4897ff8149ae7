/**
 * The stack from docker-compose.yml through testcontainers' DockerComposeEnvironment: every
 * service healthy before it returns, as a compose project of its own (so it never meets a
 * stack the user runs). What tests and drills change goes into an override file in a scratch
 * directory, never into the committed files: rule files and intervals for Prometheus, grouping
 * timings for Alertmanager, extra service environment, and Redis published on loopback.
 * Components are stopped, started, paused and resumed with `docker compose`; single replicas
 * and Redis nodes with `docker` on the container compose labelled.
 *
 * Topology: SERVICE_REPLICAS replicas behind HAProxy (options.replicas, default
 * DEFAULT_SERVICE_REPLICAS), and with redisTopology "sentinel" the docker-compose.sentinel.yml
 * overlay: Redis reached through HAProxy's :6379 (always the master), each node published on a
 * loopback port of its own for drills that talk to one node.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { DockerComposeEnvironment, Wait } from "testcontainers";
import { stringify } from "yaml";
import { HAPROXY_BACKENDS } from "../../contract/stack.js";
import { REPO_ROOT } from "../../repo.js";
import { backendActiveServers } from "../haproxy.js";
import { getFreePort, waitFor } from "../ports.js";
import { alertmanagerOverride, prometheusOverride, scratchDir, writeShared } from "./compose-config.js";
import { containerAddress, containersOf, sentinelMasterName } from "./compose-containers.js";
import { redisTopology as resolveRedisTopology, serviceReplicas as resolveReplicas } from "./topology.js";
import {
  type ComponentName,
  DEFAULT_PORTS,
  STACK_PORT_VARIABLES,
  type Stack,
  type StackOptions,
  type StackPorts,
} from "./types.js";

const COMPOSE_FILE = "docker-compose.yml";
/** The Sentinel topology's overlay (`-f docker-compose.yml -f docker-compose.sentinel.yml`). */
export const SENTINEL_COMPOSE_FILE = "docker-compose.sentinel.yml";

/** Compose service names, by the component names drills use. */
export const COMPOSE_SERVICES: Record<ComponentName, string> = {
  redis: "redis",
  haproxy: "haproxy",
  service: "mcp-resource-service",
  "redis-exporter": "redis-exporter",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  "alert-webhook": "alert-webhook",
  jaeger: "jaeger",
};

/** The Redis nodes of the Sentinel overlay (compose services), the master first. */
export const SENTINEL_REDIS_NODES = ["redis", "redis-replica-1", "redis-replica-2"] as const;
/** The overlay's Sentinels; redisMaster() asks the first that answers. */

/** The ports a compose stack publishes (the rest stay on its network). */
const PUBLISHED: ReadonlyArray<keyof StackPorts> = [
  "service",
  "balancerMetrics",
  "prometheus",
  "alertmanager",
  "alertWebhook",
  "jaegerQuery",
  "grafana",
  "redis",
];

/** .env.offline when the offline images were built, .env otherwise; STACK_COMPOSE_ENV_FILE wins. */
export function defaultComposeEnvFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STACK_COMPOSE_ENV_FILE) return env.STACK_COMPOSE_ENV_FILE;
  return existsSync(path.join(REPO_ROOT, ".env.offline")) ? ".env.offline" : ".env";
}

const run = promisify(execFile);

async function resolvePorts(
  requested: Partial<StackPorts> = {},
): Promise<Pick<StackPorts, (typeof PUBLISHED)[number]>> {
  const ports = {} as Record<(typeof PUBLISHED)[number], number>;
  for (const key of PUBLISHED) {
    const wanted = requested[key] ?? DEFAULT_PORTS[key];
    // Redis is published only for the drivers of this stack: never on the contract's 6379.
    ports[key] =
      wanted === 0 || (key === "redis" && requested.redis === undefined) ? await getFreePort() : wanted;
  }
  return ports;
}

/**
 * Starts docker-compose.yml (with the env file's images) as compose project `projectName`,
 * waiting on every service's own healthcheck. Needs a Docker engine and the images: with
 * .env.offline, `task images:offline` builds them; the service image is built here if absent.
 */
export async function startContainersStack(
  options: StackOptions & { projectName?: string } = {},
): Promise<Stack> {
  const projectName = options.projectName ?? `sdlc-stack-${randomBytes(4).toString("hex")}`;
  const envFile = options.composeEnvFile ?? defaultComposeEnvFile();
  const replicas = resolveReplicas(options);
  const redisTopology = resolveRedisTopology(options);
  const sentinel = redisTopology === "sentinel";
  const dir = await scratchDir();
  const ports = await resolvePorts(options.ports);
  // Sentinel topology: ports.redis is HAProxy's :6379 (the master, whichever node it is); each
  // node gets a loopback port of its own as well.
  const nodePorts: Record<string, number> = {};
  if (sentinel) for (const node of SENTINEL_REDIS_NODES) nodePorts[node] = await getFreePort();

  const prometheusDir = await prometheusOverride(dir, options);
  const alertmanagerFile = await alertmanagerOverride(dir, options);
  const redisPublished = sentinel
    ? {
        haproxy: { ports: [`127.0.0.1:${ports.redis}:6379`] },
        ...Object.fromEntries(
          SENTINEL_REDIS_NODES.map((node) => [node, { ports: [`127.0.0.1:${nodePorts[node]}:6379`] }]),
        ),
      }
    : { redis: { ports: [`127.0.0.1:${ports.redis}:6379`] } };
  const override = {
    services: {
      ...redisPublished,
      ...(options.serviceEnv ? { [COMPOSE_SERVICES.service]: { environment: options.serviceEnv } } : {}),
      prometheus: {
        volumes: [
          ...(prometheusDir ? [`${prometheusDir}:/etc/prometheus:ro`] : []),
          ...(options.ephemeralData ? [{ type: "volume", target: "/prometheus" }] : []),
        ],
      },
      alertmanager: {
        volumes: [
          ...(alertmanagerFile ? [`${alertmanagerFile}:/etc/alertmanager/alertmanager.yml:ro`] : []),
          ...(options.ephemeralData ? [{ type: "volume", target: "/alertmanager" }] : []),
        ],
      },
    },
  };
  const overrideFile = path.join(dir, "docker-compose.override.yml");
  await writeShared(overrideFile, stringify(override));

  // The environment of the `docker compose` processes: the ports and the replica count, and
  // nothing from this shell that would silently win over the env file (an exported NODE_IMAGE).
  const composeEnv: Record<string, string> = {
    ...Object.fromEntries(PUBLISHED.map((key) => [STACK_PORT_VARIABLES[key], String(ports[key])])),
    SERVICE_REPLICAS: String(replicas),
  };
  const files = [COMPOSE_FILE, ...(sentinel ? [SENTINEL_COMPOSE_FILE] : []), overrideFile];
  const compose = async (...args: string[]) => {
    const fileArgs = files.flatMap((f) => ["-f", f]);
    const { stdout } = await run(
      "docker",
      ["compose", "-p", projectName, ...fileArgs, "--env-file", envFile, ...args],
      { cwd: REPO_ROOT, env: { ...cleanEnv(), ...composeEnv }, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  };

  try {
    await new DockerComposeEnvironment(REPO_ROOT, files)
      .withProjectName(projectName)
      .withEnvironmentFile(envFile)
      .withEnvironment(composeEnv)
      // No Ryuk reaper (its image comes from a registry): stop() takes the project down.
      .withAutoCleanup(false)
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(180_000)
      .up();
  } catch (error) {
    await compose("down", "--volumes", "--timeout", "5").catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const loopback = (port: number) => `http://127.0.0.1:${port}`;
  const balancerMetrics = `${loopback(ports.balancerMetrics)}/metrics`;
  const replicaIds = await containersOf(projectName, COMPOSE_SERVICES.service);
  const serviceReplicas: string[] = [];
  for (let number = 1; number <= replicas; number++) {
    const id = replicaIds.get(number);
    if (!id) throw new Error(`compose started no replica ${number} of ${COMPOSE_SERVICES.service}`);
    serviceReplicas.push(`http://${await containerAddress(id)}:8000`);
  }

  async function containerId(service: string, number = 1): Promise<string> {
    const id = (await containersOf(projectName, service)).get(number);
    if (!id) throw new Error(`no container ${number} of compose service ${service} in ${projectName}`);
    return id;
  }
  async function replicaId(index: number): Promise<string> {
    if (!Number.isInteger(index) || index < 0 || index >= replicas)
      throw new Error(`replica index ${index} out of range (0..${replicas - 1})`);
    return containerId(COMPOSE_SERVICES.service, index + 1);
  }
  async function runningReplicas(): Promise<number> {
    const { stdout } = await run("docker", [
      "ps",
      "--filter",
      `label=com.docker.compose.project=${projectName}`,
      "--filter",
      `label=com.docker.compose.service=${COMPOSE_SERVICES.service}`,
      "--quiet",
    ]);
    return stdout.split("\n").filter(Boolean).length;
  }
  /**
   * Until HAProxy routes to every running replica. A slot that DNS fills again counts as UP at
   * once, before its first check, so the count must hold for longer than checks take to mark a
   * server down (inter 1s, fall 2) before it is believed.
   */
  async function balancerRoutesToAll(): Promise<void> {
    let heldSince: number | undefined;
    await waitFor(
      "HAProxy to route to every running replica",
      async () => {
        const active = await backendActiveServers(balancerMetrics).then(
          (b) => b[HAPROXY_BACKENDS.service] ?? 0,
          () => -1,
        );
        if (active !== (await runningReplicas())) {
          heldSince = undefined;
          return false;
        }
        heldSince ??= Date.now();
        return Date.now() - heldSince >= 3_000;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }
  /** Until the replica answers /readyz with 200 at its own address. */
  async function replicaReady(url: string): Promise<void> {
    await waitFor(
      `replica ${url} ready`,
      async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }
  function requireSentinel(what: string): void {
    if (!sentinel) throw new Error(`${what} needs redisTopology "sentinel" (this stack runs a single Redis)`);
  }
  function requireNode(name: string): void {
    if (!(SENTINEL_REDIS_NODES as readonly string[]).includes(name))
      throw new Error(`unknown Redis node ${name} (one of ${SENTINEL_REDIS_NODES.join(", ")})`);
  }

  return {
    provider: "containers",
    projectName,
    envFile,
    replicas,
    redisTopology,
    urls: {
      service: loopback(ports.service),
      prometheus: loopback(ports.prometheus),
      alertmanager: loopback(ports.alertmanager),
      alertWebhook: loopback(ports.alertWebhook),
      jaeger: loopback(ports.jaegerQuery),
      redis: `redis://127.0.0.1:${ports.redis}`,
      balancerMetrics,
      // Bridge addresses (Linux routes them from the host); startReplica keeps them current.
      serviceReplicas,
      ...((await compose("ps", "--services")).split("\n").includes("grafana")
        ? { grafana: loopback(ports.grafana) }
        : {}),
    },
    compose,
    async stopComponent(name) {
      await compose("stop", COMPOSE_SERVICES[name]);
    },
    async startComponent(name) {
      // The same containers (and environment) as before, not new ones; back once healthy.
      await compose("up", "--detach", "--no-recreate", "--no-deps", "--wait", COMPOSE_SERVICES[name]);
      if (name === "service" || name === "haproxy") await balancerRoutesToAll();
    },
    async freezeComponent(name) {
      await compose("pause", COMPOSE_SERVICES[name]);
    },
    async thawComponent(name) {
      await compose("unpause", COMPOSE_SERVICES[name]);
    },
    async stopReplica(index, stopOptions = {}) {
      const id = await replicaId(index);
      // `docker stop` sends the service's SIGTERM and waits stop_grace_period (the drain); a
      // killed container also stays down (restart policy off until its next start).
      await run("docker", stopOptions.kill ? ["kill", id] : ["stop", id]);
    },
    async startReplica(index) {
      const id = await replicaId(index);
      await run("docker", ["start", id]);
      // Docker may hand the restarted container another address: urls.serviceReplicas follows.
      serviceReplicas[index] = `http://${await containerAddress(id)}:8000`;
      await replicaReady(serviceReplicas[index] as string);
      await balancerRoutesToAll();
    },
    async redisMaster() {
      requireSentinel("redisMaster()");
      const name = await sentinelMasterName(compose);
      const port = nodePorts[name];
      if (port === undefined) throw new Error(`Sentinel names ${name} master, not a node of this stack`);
      return { name, url: `redis://127.0.0.1:${port}` };
    },
    async stopRedisNode(name, stopOptions = {}) {
      requireSentinel("stopRedisNode()");
      requireNode(name);
      const id = await containerId(name);
      await run("docker", stopOptions.kill ? ["kill", id] : ["stop", id]);
    },
    async startRedisNode(name) {
      requireSentinel("startRedisNode()");
      requireNode(name);
      await compose("up", "--detach", "--no-recreate", "--no-deps", "--wait", name);
    },
    async stop() {
      try {
        await compose("down", "--volumes", "--timeout", "10");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** PATH and HOME only: compose must take images and settings from the env file. */
function cleanEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT"];
  return Object.fromEntries(
    keep.flatMap((name) => (process.env[name] === undefined ? [] : [[name, String(process.env[name])]])),
  );
}
