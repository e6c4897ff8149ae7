import { HAPROXY_METRICS_PORT, type RedisTopology } from "../../contract/stack.js";

/** The stack's user-facing endpoints, whichever provider runs it. */
export interface StackUrls {
  /** The resource service, e.g. http://127.0.0.1:8000 */
  readonly service: string;
  readonly prometheus: string;
  readonly alertmanager: string;
  /** The demo webhook receiver Alertmanager notifies (GET /notifications lists them). */
  readonly alertWebhook: string;
  /** Native only: compose keeps Redis and the exporter on its internal network. */
  readonly redisExporter?: string;
  /** redis://host:port; native only. */
  readonly redis?: string;
  /** Jaeger's query API and UI (traces of the service's requests). */
  readonly jaeger?: string;
  /** Only the containers provider runs Grafana (it is not obtainable as a native binary here). */
  readonly grafana?: string;
  /** HAProxy's exporter (`/metrics`) in front of the replicas (and the Redis nodes). */
  readonly balancerMetrics: string;
  /** Each replica's own address, bypassing the balancer (index order of `stopReplica`). */
  readonly serviceReplicas: readonly string[];
}

export type ProviderName = "native" | "containers";

export interface Stack {
  readonly provider: ProviderName;
  readonly urls: StackUrls;
  /** Service replicas behind the balancer. */
  readonly replicas: number;
  readonly redisTopology: RedisTopology;
  /** Containers only: the compose project, its env file, and `docker compose` bound to both. */
  readonly projectName?: string;
  readonly envFile?: string;
  compose?(...args: string[]): Promise<string>;
  /** Stops and starts single components, for drills (redis-down, service-down). */
  stopComponent(name: ComponentName): Promise<void>;
  startComponent(name: ComponentName): Promise<void>;
  /**
   * Freezes a component without closing its sockets (SIGSTOP natively, `docker compose pause`
   * in containers): a hung Redis, not a dead one. `thawComponent` resumes it.
   */
  freezeComponent(name: ComponentName): Promise<void>;
  thawComponent(name: ComponentName): Promise<void>;
  /**
   * Stops one replica (0-based), gracefully (SIGTERM, drains) or, with `kill`, at once
   * (SIGKILL: a crashed replica). `startReplica` brings it back and waits until the balancer
   * routes to it again.
   */
  stopReplica(index: number, options?: { kill?: boolean }): Promise<void>;
  startReplica(index: number): Promise<void>;
  /**
   * Sentinel topology: the Redis node currently master as its Sentinels report it
   * (`redis://host:port`, published on loopback), and its name ("redis", "redis-replica-1", ...)
   * for stopComponent-style control through `stopRedisNode`.
   */
  redisMaster?(): Promise<{ name: string; url: string }>;
  /** Sentinel topology: stops (`kill`: SIGKILL) or starts one Redis node by name. */
  stopRedisNode?(name: string, options?: { kill?: boolean }): Promise<void>;
  startRedisNode?(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Components as a whole. "service" is every replica; "redis" is the single Redis, or in the
 * Sentinel topology the node that started as master.
 */
export type ComponentName =
  | "redis"
  | "haproxy"
  | "service"
  | "redis-exporter"
  | "prometheus"
  | "alertmanager"
  | "alert-webhook"
  | "jaeger";

/** Ports of the native stack; 0 picks a free port. Defaults are the contract's. */
export interface StackPorts {
  /** The published service port: HAProxy's, in front of the replicas. */
  service: number;
  /** HAProxy's exporter and stats page. */
  balancerMetrics: number;
  redis: number;
  redisExporter: number;
  prometheus: number;
  alertmanager: number;
  alertWebhook: number;
  jaegerOtlpGrpc: number;
  jaegerOtlpHttp: number;
  jaegerQuery: number;
  jaegerQueryGrpc: number;
  jaegerHealth: number;
  jaegerMetrics: number;
  /** Containers only (the native stack has no Grafana). */
  grafana: number;
}

export const DEFAULT_PORTS: Readonly<StackPorts> = Object.freeze({
  service: 8000,
  balancerMetrics: HAPROXY_METRICS_PORT,
  redis: 6379,
  redisExporter: 9121,
  prometheus: 9090,
  alertmanager: 9093,
  alertWebhook: 5001,
  jaegerOtlpGrpc: 4317,
  jaegerOtlpHttp: 4318,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerHealth: 13133,
  jaegerMetrics: 8888,
  grafana: 3000,
});

/** Every port 0: each component on a free port, for tests and drills beside anything running. */
export const FREE_PORTS: Readonly<StackPorts> = Object.freeze(
  Object.fromEntries(Object.keys(DEFAULT_PORTS).map((key) => [key, 0])) as unknown as StackPorts,
);

export interface StackOptions {
  /** Service replicas behind HAProxy (default DEFAULT_SERVICE_REPLICAS, or SERVICE_REPLICAS). */
  replicas?: number;
  /** Single Redis (default) or Sentinel-managed master and replicas (or REDIS_TOPOLOGY). */
  redisTopology?: RedisTopology;
  /**
   * Ports (0 = free). Native: every component's. Containers: the published ones (service,
   * Prometheus, Alertmanager, webhook, Jaeger's UI, Grafana) and Redis, which a started stack
   * also publishes on loopback for drills.
   */
  ports?: Partial<StackPorts>;
  /** Extra environment for the service (e.g. FAULTS_ENABLED for drills). */
  serviceEnv?: Record<string, string>;
  /** Rule files to load instead of the project's own (drills load a time-scaled copy). */
  ruleFiles?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** native only: extra Prometheus flags, e.g. a resend delay at the time-scaled rules' pace. */
  prometheusArgs?: string[];
  /** Alertmanager grouping timings (drills and tests use seconds). */
  alertmanagerTimings?: { group_wait?: string; group_interval?: string; repeat_interval?: string };
  /** Where native component logs go (default .stack/logs). */
  logDir?: string;
  /**
   * Containers only: the env file compose reads (default STACK_COMPOSE_ENV_FILE, else
   * .env.offline when `task images:offline` wrote one, else .env).
   */
  composeEnvFile?: string;
  /**
   * Containers only: Prometheus and Alertmanager keep their data in anonymous volumes instead
   * of the named ones, so recreating them with renewed anonymous volumes (drills reset
   * alerting state) starts them empty.
   */
  ephemeralData?: boolean;
}

/** The environment variables that set each port (native twin and docker-compose.yml alike). */
export const STACK_PORT_VARIABLES: Record<keyof StackPorts, string> = {
  service: "STACK_SERVICE_PORT",
  balancerMetrics: "STACK_HAPROXY_METRICS_PORT",
  redis: "STACK_REDIS_PORT",
  redisExporter: "STACK_REDIS_EXPORTER_PORT",
  prometheus: "STACK_PROMETHEUS_PORT",
  alertmanager: "STACK_ALERTMANAGER_PORT",
  alertWebhook: "STACK_ALERT_WEBHOOK_PORT",
  jaegerOtlpGrpc: "STACK_JAEGER_OTLP_GRPC_PORT",
  jaegerOtlpHttp: "STACK_JAEGER_OTLP_HTTP_PORT",
  jaegerQuery: "STACK_JAEGER_QUERY_PORT",
  jaegerQueryGrpc: "STACK_JAEGER_QUERY_GRPC_PORT",
  jaegerHealth: "STACK_JAEGER_HEALTH_PORT",
  jaegerMetrics: "STACK_JAEGER_METRICS_PORT",
  grafana: "STACK_GRAFANA_PORT",
};
