import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { HAPROXY_BACKENDS, JOBS } from "../../contract/stack.js";
import { REPO_ROOT } from "../../repo.js";
import { type AlertmanagerProcess, startAlertmanager } from "../alertmanager.js";
import { type Daemon, httpOk, startDaemon } from "../daemon.js";
import { type HaproxyProcess, startHaproxy, waitForBackend, waitForServer } from "../haproxy.js";
import { getFreePort } from "../ports.js";
import { type PrometheusProcess, startPrometheus } from "../prometheus.js";
import { type RedisProcess, redisCommand, startRedis } from "../redis.js";
import { type RedisExporterProcess, startRedisExporter } from "../redis-exporter.js";
import { agreedMaster, type SentinelProcess, startSentinel } from "../sentinel.js";
import { type ServiceProcess, startServiceProcess } from "../service.js";
import { redisTopology, serviceReplicas } from "./topology.js";
import {
  type ComponentName,
  DEFAULT_PORTS,
  type Stack,
  type StackOptions,
  type StackPorts,
} from "./types.js";

const WEBHOOK_ENTRY = path.join(REPO_ROOT, "infra/alert-webhook/server.mjs");
const JAEGER_CONFIG = path.join(REPO_ROOT, "infra/jaeger/config.yaml");

/** Builds Jaeger once (cached machine-wide) and returns its path. */
function jaegerBinary(): string {
  return execFileSync("bash", [path.join(REPO_ROOT, "scripts/install/jaeger.sh")], {
    encoding: "utf8",
  }).trim();
}

interface Stoppable {
  /** The component's process, where the starter exposes it (freezing needs it). */
  readonly pid?: number | undefined;
  stop(): Promise<void>;
}

/** The native stack: the Stack interface, plus the Sentinel topology's sentinels for drills. */
export interface NativeStack extends Stack {
  /** Sentinel topology: each sentinel's address (redis://127.0.0.1:port); empty otherwise. */
  readonly sentinelUrls: readonly string[];
}

/** The Sentinel topology's Redis nodes, as infra/haproxy/redis-master.cfg names its servers. */
export const REDIS_NODE_NAMES = ["redis", "redis-replica-1", "redis-replica-2"] as const;
const SENTINELS = 3;

/** How long a replica may take to drain on SIGTERM before SIGKILL (the service's own bound is 10 s). */
const REPLICA_STOP_GRACE_MS = 12_000;
/** Bounds on the readiness waits: clear errors instead of hanging drills. */
const BALANCER_WAIT_MS = 30_000;

/** Sends a signal unless the process is already gone (it may have exited on its own). */
function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

async function resolvePorts(requested: Partial<StackPorts> = {}): Promise<StackPorts> {
  const ports = { ...DEFAULT_PORTS, ...requested };
  for (const key of Object.keys(ports) as Array<keyof StackPorts>) {
    if (ports[key] === 0) ports[key] = await getFreePort();
  }
  return ports;
}

/**
 * The compose stack's twin from local binaries: Redis with infra/redis/redis.conf (one server,
 * or in the Sentinel topology a master, two replicas and three sentinels), the Redis exporter,
 * N service replicas (built dist, as `npm start`) behind HAProxy on the published service port,
 * the alert webhook receiver, Alertmanager and Prometheus with the project's files, compose host
 * names rewritten to loopback ports. Components start in dependency order and each waits until
 * healthy.
 */
export async function startNativeStack(options: StackOptions = {}): Promise<NativeStack> {
  const replicas = serviceReplicas(options);
  const topology = redisTopology(options);
  const ports = await resolvePorts(options.ports);
  const logDir = options.logDir ?? path.join(REPO_ROOT, ".stack/logs");
  mkdirSync(logDir, { recursive: true });
  const loopback = (port: number) => `127.0.0.1:${port}`;
  // Fixed for the stack's life, so HAProxy's servers and Prometheus' targets never change.
  const replicaPorts: number[] = [];
  for (let i = 0; i < replicas; i++) replicaPorts.push(await getFreePort());
  const nodePorts = new Map<string, number>();
  if (topology === "sentinel") for (const name of REDIS_NODE_NAMES) nodePorts.set(name, await getFreePort());
  const urls = {
    service: `http://${loopback(ports.service)}`,
    serviceReplicas: replicaPorts.map((port) => `http://${loopback(port)}`),
    balancerMetrics: `http://${loopback(ports.balancerMetrics)}/metrics`,
    prometheus: `http://${loopback(ports.prometheus)}`,
    alertmanager: `http://${loopback(ports.alertmanager)}`,
    alertWebhook: `http://${loopback(ports.alertWebhook)}`,
    redisExporter: `http://${loopback(ports.redisExporter)}`,
    // Sentinel topology: HAProxy's frontend on the Redis port, which always leads to the master.
    redis: `redis://${loopback(ports.redis)}`,
    jaeger: `http://${loopback(ports.jaegerQuery)}`,
  };

  const redisNodes = new Map<string, RedisProcess>();
  const nodeRunning = new Set<string>();
  const sentinels: SentinelProcess[] = [];
  const replicaProcesses: Array<ServiceProcess | undefined> = Array.from({ length: replicas });
  const running = new Map<ComponentName, Stoppable>();

  const startRedisNode = async (name: string) => {
    const port = nodePorts.get(name);
    if (port === undefined)
      throw new Error(
        `no Redis node ${name}: the nodes are ${[...nodePorts.keys()].join(", ") || "none (single topology)"}`,
      );
    if (nodeRunning.has(name)) return;
    const existing = redisNodes.get(name);
    if (existing) await existing.start();
    else {
      const node = await startRedis({ projectConfig: true, port, logFile: path.join(logDir, `${name}.log`) });
      redisNodes.set(name, node);
      const masterPort = nodePorts.get("redis");
      if (name !== "redis" && masterPort !== undefined) {
        // Written into the node's own config copy, so a node restarted after a kill comes back
        // as what Sentinel last made it (Sentinel rewrites the file on every reconfiguration).
        await redisCommand(port, ["REPLICAOF", "127.0.0.1", String(masterPort)]);
        await redisCommand(port, ["CONFIG", "REWRITE"]);
      }
    }
    nodeRunning.add(name);
  };
  const stopRedisNode = async (name: string, { kill = false }: { kill?: boolean } = {}) => {
    if (!nodePorts.has(name))
      throw new Error(
        `no Redis node ${name}: the nodes are ${[...nodePorts.keys()].join(", ") || "none (single topology)"}`,
      );
    const node = redisNodes.get(name);
    nodeRunning.delete(name);
    if (!node) return;
    // A kill keeps the node's directory and so its rewritten config; a stop starts it afresh.
    await (kill ? node.kill() : node.stop());
  };

  const balancer = () => running.get("haproxy") as HaproxyProcess | undefined;
  const serviceEnv = {
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    OTEL_SERVICE_NAME: "mcp-resource-service",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://${loopback(ports.jaegerOtlpHttp)}`,
    ...options.serviceEnv,
  };
  const replicaIndex = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= replicas)
      throw new Error(`replica ${index}: the stack runs replicas 0..${replicas - 1}`);
    return index;
  };
  /** HAProxy's server name for replica `index` (the rewrite numbers them from 1). */
  const replicaServer = (index: number) => `replica-${index + 1}`;
  // A start in progress per replica: a second caller (startComponent while startReplica runs)
  // waits for it instead of starting a second process on the same port.
  const launching = new Map<number, Promise<void>>();
  const launchReplica = async (index: number) => {
    if (replicaProcesses[index]) return;
    const pending = launching.get(index);
    if (pending) return await pending;
    const launch = startServiceProcess({
      redisUrl: urls.redis,
      port: replicaPorts[index] as number,
      name: `mcp-resource-service-${index + 1}`,
      // As `npm start`: dist/ with the tracing hook, exporting to the stack's Jaeger.
      env: serviceEnv,
      logFile: path.join(logDir, `mcp-resource-service-${index + 1}.log`),
    })
      .then((replica) => {
        replicaProcesses[index] = replica;
      })
      .finally(() => launching.delete(index));
    launching.set(index, launch);
    await launch;
  };
  const stopReplica = async (index: number, { kill = false }: { kill?: boolean } = {}) => {
    const replica = replicaProcesses[replicaIndex(index)];
    replicaProcesses[index] = undefined;
    if (!replica) return;
    if (kill && replica.pid !== undefined) {
      signalPid(replica.pid, "SIGCONT");
      signalPid(replica.pid, "SIGKILL");
    }
    // After a SIGKILL this only reaps the process.
    await replica.stop(REPLICA_STOP_GRACE_MS);
  };
  const startReplica = async (index: number) => {
    await launchReplica(replicaIndex(index));
    const lb = balancer();
    if (lb)
      await waitForServer(lb.metricsUrl, HAPROXY_BACKENDS.service, replicaServer(index), {
        timeoutMs: BALANCER_WAIT_MS,
      });
  };
  const startService = async () => {
    await Promise.all(replicaProcesses.map((_, i) => launchReplica(i)));
    const lb = balancer();
    if (lb)
      await waitForBackend(lb.metricsUrl, HAPROXY_BACKENDS.service, replicas, {
        timeoutMs: BALANCER_WAIT_MS,
      });
  };
  const stopService = async () => {
    await Promise.all(replicaProcesses.map((_, i) => stopReplica(i)));
  };

  const starters: Record<Exclude<ComponentName, "service">, () => Promise<Stoppable>> = {
    redis: async (): Promise<Stoppable> => {
      if (topology === "single") return await startRedis({ projectConfig: true, port: ports.redis });
      await startRedisNode("redis");
      return {
        get pid() {
          return redisNodes.get("redis")?.pid;
        },
        // A plain stop, whichever node is master by now; a killed node's directory goes too.
        stop: async () => {
          await stopRedisNode("redis");
        },
      };
    },
    haproxy: async (): Promise<HaproxyProcess> => {
      const lb = await startHaproxy({
        replicas: replicaPorts.map(loopback),
        port: ports.service,
        metricsPort: ports.balancerMetrics,
        ...(topology === "sentinel"
          ? {
              redisNodes: Object.fromEntries([...nodePorts].map(([name, port]) => [name, loopback(port)])),
              redisPort: ports.redis,
            }
          : {}),
        logFile: path.join(logDir, "haproxy.log"),
      });
      // In the Sentinel topology nothing should connect before the master is reachable.
      if (topology === "sentinel")
        await waitForBackend(lb.metricsUrl, HAPROXY_BACKENDS.redisMaster, 1, {
          timeoutMs: BALANCER_WAIT_MS,
        }).catch(async (error: Error) => {
          await lb.stop();
          throw new Error(`${error.message}\n--- haproxy output ---\n${lb.output().slice(-3_000)}`);
        });
      return lb;
    },
    "redis-exporter": (): Promise<RedisExporterProcess> =>
      startRedisExporter(urls.redis, ports.redisExporter),
    jaeger: (): Promise<Daemon> =>
      startDaemon({
        name: "jaeger",
        command: jaegerBinary(),
        args: ["--config", JAEGER_CONFIG],
        env: {
          PATH: process.env.PATH ?? "",
          JAEGER_LISTEN_HOST: "127.0.0.1",
          JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpc),
          JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttp),
          JAEGER_QUERY_HTTP_PORT: String(ports.jaegerQuery),
          JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
          JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
          JAEGER_METRICS_PORT: String(ports.jaegerMetrics),
        },
        ready: () => httpOk(`http://${loopback(ports.jaegerHealth)}/status`),
        readyTimeoutMs: 60_000,
        logFile: path.join(logDir, "jaeger.log"),
      }),
    "alert-webhook": (): Promise<Daemon> =>
      startDaemon({
        name: "alert-webhook",
        command: process.execPath,
        args: [WEBHOOK_ENTRY],
        env: { ...process.env, PORT: String(ports.alertWebhook), HOST: "127.0.0.1" },
        ready: () => httpOk(`${urls.alertWebhook}/healthz`),
        logFile: path.join(logDir, "alert-webhook.log"),
      }),
    alertmanager: (): Promise<AlertmanagerProcess> =>
      startAlertmanager({
        port: ports.alertmanager,
        webhookBaseUrl: urls.alertWebhook,
        ...(options.alertmanagerTimings ? { timings: options.alertmanagerTimings } : {}),
      }),
    prometheus: (): Promise<PrometheusProcess> =>
      startPrometheus({
        port: ports.prometheus,
        scrapeTargets: {
          // Every replica on its own (file_sd), each its own `instance`.
          [JOBS.service]: replicaPorts.map(loopback),
          [JOBS.balancer]: loopback(ports.balancerMetrics),
          [JOBS.redis]: loopback(ports.redisExporter),
          [JOBS.alertmanager]: loopback(ports.alertmanager),
        },
        alertmanagerUrl: urls.alertmanager,
        ...(options.ruleFiles ? { ruleFiles: options.ruleFiles } : {}),
        ...(options.scrapeInterval ? { scrapeInterval: options.scrapeInterval } : {}),
        ...(options.evaluationInterval ? { evaluationInterval: options.evaluationInterval } : {}),
        ...(options.prometheusArgs ? { extraArgs: options.prometheusArgs } : {}),
      }),
  };

  const startSentinelSide = async () => {
    // The replicas and the sentinels watching all three; "redis" itself is the component.
    for (const name of REDIS_NODE_NAMES.slice(1)) await startRedisNode(name);
    const masterPort = nodePorts.get("redis") as number;
    for (let i = 0; i < SENTINELS; i++)
      sentinels.push(
        await startSentinel({ masterPort, logFile: path.join(logDir, `sentinel-${i + 1}.log`) }),
      );
  };
  const stopSentinelSide = async () => {
    sentinelSideStarted = false;
    await Promise.all(sentinels.splice(0).map((s) => s.stop()));
    for (const name of REDIS_NODE_NAMES.slice(1)) await stopRedisNode(name);
  };

  const startComponent = async (name: ComponentName) => {
    if (name === "service") await startService();
    else if (!running.has(name)) running.set(name, await starters[name]());
  };
  const stopComponent = async (name: ComponentName) => {
    if (name === "service") return await stopService();
    const component = running.get(name);
    running.delete(name);
    await component?.stop();
  };
  const pidsOf = (name: ComponentName): number[] => {
    const pids = name === "service" ? replicaProcesses.map((r) => r?.pid) : [running.get(name)?.pid];
    return pids.filter((pid): pid is number => pid !== undefined);
  };
  const signal = (name: ComponentName, sig: "SIGSTOP" | "SIGCONT") => {
    const pids = pidsOf(name);
    if (pids.length === 0) throw new Error(`${name} is not running, or its process id is not known`);
    for (const pid of pids) signalPid(pid, sig);
  };
  // HAProxy before the replicas (they are reached through it), and in the Sentinel topology
  // before the exporter and the service, whose one Redis address is HAProxy's frontend.
  const order: ComponentName[] = [
    "jaeger",
    "redis",
    ...(topology === "sentinel"
      ? (["haproxy", "redis-exporter"] as const)
      : (["redis-exporter", "haproxy"] as const)),
    "service",
    "alert-webhook",
    "alertmanager",
    "prometheus",
  ];
  let sentinelSideStarted = false;
  const stop = async () => {
    // A frozen process cannot handle SIGTERM: resume everything before stopping it.
    for (const name of order) for (const pid of pidsOf(name)) signalPid(pid, "SIGCONT");
    for (const node of redisNodes.values()) if (node.pid !== undefined) signalPid(node.pid, "SIGCONT");
    // The service before HAProxy, whose soft stop waits for the sessions it carries.
    for (const name of [...order].reverse()) {
      // Sentinels first: stopping the master under them would start a failover.
      if (name === "redis" && sentinelSideStarted) await stopSentinelSide();
      await stopComponent(name);
    }
  };

  try {
    for (const name of order) {
      await startComponent(name);
      if (name === "redis" && topology === "sentinel") {
        sentinelSideStarted = true;
        await startSentinelSide();
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const sentinelUrls = sentinels.map((s) => s.url);
  const nodeByPort = (port: number) => [...nodePorts].find(([, p]) => p === port)?.[0];
  return {
    provider: "native",
    urls,
    replicas,
    redisTopology: topology,
    sentinelUrls,
    startComponent,
    stopComponent,
    freezeComponent: async (name) => signal(name, "SIGSTOP"),
    thawComponent: async (name) => signal(name, "SIGCONT"),
    stopReplica,
    startReplica,
    ...(topology === "sentinel"
      ? {
          async redisMaster() {
            const { port } = await agreedMaster(sentinelUrls);
            const name = nodeByPort(port);
            if (!name)
              throw new Error(
                `the sentinels report a master on port ${port}, which is no node of this stack`,
              );
            return { name, url: `redis://${loopback(port)}` };
          },
          stopRedisNode,
          startRedisNode,
        }
      : {}),
    stop,
  };
}
