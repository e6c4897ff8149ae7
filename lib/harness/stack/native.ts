import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { JOBS } from "../../contract/stack.js";
import { REPO_ROOT } from "../../repo.js";
import { type AlertmanagerProcess, startAlertmanager } from "../alertmanager.js";
import { type Daemon, httpOk, startDaemon } from "../daemon.js";
import { getFreePort } from "../ports.js";
import { type PrometheusProcess, startPrometheus } from "../prometheus.js";
import { type RedisProcess, startRedis } from "../redis.js";
import { type RedisExporterProcess, startRedisExporter } from "../redis-exporter.js";
import { type ServiceProcess, startServiceProcess } from "../service.js";
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

async function resolvePorts(requested: Partial<StackPorts> = {}): Promise<StackPorts> {
  const ports = { ...DEFAULT_PORTS, ...requested };
  for (const key of Object.keys(ports) as Array<keyof StackPorts>) {
    if (ports[key] === 0) ports[key] = await getFreePort();
  }
  return ports;
}

/**
 * The compose stack's twin from local binaries: redis-server with infra/redis/redis.conf,
 * the Redis exporter, the service (built dist, as `npm start`), the alert webhook receiver,
 * Alertmanager and Prometheus with the project's files, compose host names rewritten to
 * loopback ports. Components start in dependency order and each waits until healthy.
 */
export async function startNativeStack(options: StackOptions = {}): Promise<Stack> {
  const ports = await resolvePorts(options.ports);
  const logDir = options.logDir ?? path.join(REPO_ROOT, ".stack/logs");
  mkdirSync(logDir, { recursive: true });
  const loopback = (port: number) => `127.0.0.1:${port}`;
  const urls = {
    service: `http://${loopback(ports.service)}`,
    prometheus: `http://${loopback(ports.prometheus)}`,
    alertmanager: `http://${loopback(ports.alertmanager)}`,
    alertWebhook: `http://${loopback(ports.alertWebhook)}`,
    redisExporter: `http://${loopback(ports.redisExporter)}`,
    redis: `redis://${loopback(ports.redis)}`,
    jaeger: `http://${loopback(ports.jaegerQuery)}`,
  };

  const starters: Record<ComponentName, () => Promise<Stoppable>> = {
    redis: (): Promise<RedisProcess> => startRedis({ projectConfig: true, port: ports.redis }),
    "redis-exporter": (): Promise<RedisExporterProcess> =>
      startRedisExporter(urls.redis, ports.redisExporter),
    service: (): Promise<ServiceProcess> =>
      startServiceProcess({
        redisUrl: urls.redis,
        port: ports.service,
        // As `npm start`: dist/ with the tracing hook, exporting to the stack's Jaeger.
        env: {
          LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
          OTEL_SERVICE_NAME: "mcp-resource-service",
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://${loopback(ports.jaegerOtlpHttp)}`,
          ...options.serviceEnv,
        },
        logFile: path.join(logDir, "mcp-resource-service.log"),
      }),
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
          [JOBS.service]: loopback(ports.service),
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
  const order: ComponentName[] = [
    "jaeger",
    "redis",
    "redis-exporter",
    "service",
    "alert-webhook",
    "alertmanager",
    "prometheus",
  ];
  const running = new Map<ComponentName, Stoppable>();

  const startComponent = async (name: ComponentName) => {
    if (!running.has(name)) running.set(name, await starters[name]());
  };
  const stopComponent = async (name: ComponentName) => {
    const component = running.get(name);
    running.delete(name);
    await component?.stop();
  };
  const signal = (name: ComponentName, sig: "SIGSTOP" | "SIGCONT") => {
    const pid = running.get(name)?.pid;
    if (pid === undefined) throw new Error(`${name} is not running, or its process id is not known`);
    process.kill(pid, sig);
  };
  const stop = async () => {
    // A frozen process cannot handle SIGTERM: resume everything before stopping it.
    for (const name of running.keys()) {
      const pid = running.get(name)?.pid;
      if (pid !== undefined) process.kill(pid, "SIGCONT");
    }
    for (const name of [...order].reverse()) await stopComponent(name);
  };

  try {
    for (const name of order) await startComponent(name);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    provider: "native",
    urls,
    startComponent,
    stopComponent,
    freezeComponent: async (name) => signal(name, "SIGSTOP"),
    thawComponent: async (name) => signal(name, "SIGCONT"),
    stop,
  };
}
