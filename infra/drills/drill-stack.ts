/**
 * The stack a drill runs against. Either the drills start their own stack, native or compose
 * (free ports, faults enabled, the time-scaled rules, second-scale Alertmanager grouping), or
 * they take a running one by its URLs (compose: `FAULTS_ENABLED=true FAULTS_TOKEN=... docker compose
 * up`), whose components they stop and start with `docker compose`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { RedisTopology } from "../../lib/contract/stack.js";
import { sentinelMasterName } from "../../lib/harness/stack/compose-containers.js";
import { type ComponentName, type ProviderName, startStack } from "../../lib/harness/stack/index.js";
import { FREE_PORTS } from "../../lib/harness/stack/types.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { DEFAULT_PARAMS, type RuleParams } from "../src/rule-params.js";
import { FaultsClient } from "./faults-client.js";
import { composeRedisControl, type RedisControl, redisClientControl } from "./redis-control.js";
import {
  DRILL_ALERTMANAGER_TIMINGS,
  DRILL_EVALUATION_INTERVAL,
  DRILL_NOTIFY_TIMINGS,
  DRILL_SCRAPE_INTERVAL,
  drillParams,
  type NotifyTimings,
  productionNotifyTimings,
  writeDrillRules,
} from "./time-scale.js";

export interface TargetUrls {
  /** The balancer: what users reach. */
  readonly service: string;
  readonly prometheus: string;
  readonly alertmanager: string;
  readonly alertWebhook: string;
  /** Each replica's own address, where the drill can reach it (coherence checks). */
  readonly serviceReplicas?: readonly string[];
}

export interface DrillStack {
  readonly description: string;
  /** Which stack provider runs it; `external` for a stack the drills did not start. */
  readonly provider: ProviderName | "external";
  readonly urls: TargetUrls;
  /** Time parameters of the rules the target's Prometheus evaluates (deadlines follow them). */
  readonly params: RuleParams;
  readonly notify: NotifyTimings;
  readonly redis: RedisControl;
  readonly faults: FaultsClient;
  /** Service replicas behind the balancer. */
  readonly replicas: number;
  readonly redisTopology: RedisTopology;
  /** One replica stopped (`kill`: SIGKILL, a crash) and started again; see Stack. */
  stopReplica(index: number, options?: { kill?: boolean }): Promise<void>;
  startReplica(index: number): Promise<void>;
  /** Sentinel topology only: the current master and control of single Redis nodes. */
  redisMaster(): Promise<{ name: string; url: string }>;
  stopRedisNode(name: string, options?: { kill?: boolean }): Promise<void>;
  startRedisNode(name: string): Promise<void>;
  stopComponent(name: ComponentName): Promise<void>;
  startComponent(name: ComponentName): Promise<void>;
  /** A hung component: its process stopped, its sockets open (SIGSTOP, `docker compose pause`). */
  freezeComponent(name: ComponentName): Promise<void>;
  thawComponent(name: ComponentName): Promise<void>;
  /**
   * Forget earlier drills' alerts: the native target restarts Prometheus (fresh TSDB, so no
   * rate window still holds the last fault) and Alertmanager (no notification log). A shared
   * external stack is left alone; alerts already active count as pre-existing instead.
   */
  resetAlerting(): Promise<void>;
  close(): Promise<void>;
}

export interface StartedDrillStackOptions {
  /** Where native component logs go (default: a temp dir, removed on close unless kept). */
  readonly logDir?: string;
  readonly redisTopology?: RedisTopology;
}

/**
 * Replicas of a drill stack: three, as CI's scaled stack, so every drill proves its alerts
 * aggregate over instances and replica-down leaves two to carry the load.
 */
export const DRILL_REPLICAS = 3;

/** A capability the stack lacks, as an error that says which. */
function missing(what: string): never {
  throw new Error(`this stack has no ${what} (the drill needs the Sentinel topology)`);
}

/**
 * A stack of its own for drills, natively or from docker-compose.yml: free ports, faults
 * enabled, the time-scaled rules, second-scale Alertmanager grouping. Compose gets the rules
 * and timings through its override file and keeps Prometheus' and Alertmanager's data in
 * anonymous volumes, so resetting alerting state (recreating them with new volumes) starts
 * them empty, as natively.
 */
export async function startDrillStack(
  provider: ProviderName,
  options: StartedDrillStackOptions = {},
): Promise<DrillStack> {
  const dir = await mkdtemp(path.join(tmpdir(), "drills-"));
  const params = drillParams();
  // Fault control from outside the container network needs the token (the service sees the
  // bridge's address, not loopback); natively loopback suffices, the token does no harm.
  const faultsToken = randomBytes(24).toString("hex");
  try {
    const ruleFiles = await writeDrillRules(path.join(dir, "rules"), params);
    const stack = await startStack(
      {
        // Every port free (0), whatever components the stack has: never the contract's ports a
        // running `npm run stack` or a parallel test may hold.
        ports: FREE_PORTS,
        serviceEnv: { FAULTS_ENABLED: "true", FAULTS_TOKEN: faultsToken, LOG_LEVEL: "warn" },
        ruleFiles,
        scrapeInterval: DRILL_SCRAPE_INTERVAL,
        evaluationInterval: DRILL_EVALUATION_INTERVAL,
        alertmanagerTimings: { ...DRILL_ALERTMANAGER_TIMINGS },
        logDir: options.logDir ?? path.join(dir, "logs"),
        ephemeralData: true,
        replicas: DRILL_REPLICAS,
        redisTopology: options.redisTopology ?? "single",
      },
      provider,
    );
    const redisUrl = stack.urls.redis;
    if (!redisUrl) throw new Error(`the ${provider} stack did not report its Redis URL`);
    const redis = redisClientControl(redisUrl);
    const where =
      stack.provider === "containers"
        ? `compose project ${stack.projectName} (${stack.envFile})`
        : "native stack";
    return {
      description: `${where}, ${stack.replicas} replicas, ${stack.redisTopology} Redis, Prometheus ${stack.urls.prometheus}, rules time-scaled`,
      provider: stack.provider,
      urls: stack.urls,
      params,
      notify: DRILL_NOTIFY_TIMINGS,
      redis,
      faults: new FaultsClient(
        stack.urls.serviceReplicas.length ? stack.urls.serviceReplicas : stack.urls.service,
        faultsToken,
      ),
      replicas: stack.replicas,
      redisTopology: stack.redisTopology,
      stopReplica: (index, opts) => stack.stopReplica(index, opts),
      startReplica: (index) => stack.startReplica(index),
      redisMaster: () => stack.redisMaster?.() ?? missing("Redis master lookup"),
      stopRedisNode: (name, opts) => stack.stopRedisNode?.(name, opts) ?? missing("Redis nodes"),
      startRedisNode: (name) => stack.startRedisNode?.(name) ?? missing("Redis nodes"),
      stopComponent: (name) => stack.stopComponent(name),
      startComponent: (name) => stack.startComponent(name),
      freezeComponent: (name) => stack.freezeComponent(name),
      thawComponent: (name) => stack.thawComponent(name),
      async resetAlerting() {
        if (stack.compose) {
          // New containers on new volumes: no rate window or notification log of the last
          // drill. `rm -v` takes the old anonymous volumes along instead of leaving them behind.
          await stack.compose("rm", "--force", "--stop", "--volumes", "alertmanager", "prometheus");
          await stack.compose("up", "--detach", "--no-deps", "--wait", "alertmanager", "prometheus");
          return;
        }
        await stack.stopComponent("prometheus");
        await stack.stopComponent("alertmanager");
        await stack.startComponent("alertmanager");
        await stack.startComponent("prometheus");
      },
      async close() {
        await redis.close();
        await stack.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface ExternalDrillStackOptions {
  readonly urls: TargetUrls;
  readonly faultsToken?: string;
  /** Reach Redis directly (published port); otherwise `docker compose exec redis redis-cli`. */
  readonly redisUrl?: string;
  /** Directory of docker-compose.yml (default: the repository root). */
  readonly composeDir?: string;
  /** The running stack's Redis topology (with Sentinel: docker-compose.sentinel.yml too). */
  readonly redisTopology?: RedisTopology;
}

/** docker-compose.yml names its services as the stack module names components, but one. */
const composeService = (name: ComponentName) => (name === "service" ? "mcp-resource-service" : name);

const run = promisify(execFile);

export async function externalDrillStack(options: ExternalDrillStackOptions): Promise<DrillStack> {
  const composeDir = options.composeDir ?? REPO_ROOT;
  const redisTopology = options.redisTopology ?? "single";
  const files =
    redisTopology === "sentinel" ? ["-f", "docker-compose.yml", "-f", "docker-compose.sentinel.yml"] : [];
  const composeOutput = async (...args: string[]) =>
    (await run("docker", ["compose", ...files, ...args], { cwd: composeDir })).stdout;
  const compose = async (...args: string[]) => {
    await composeOutput(...args);
  };
  /** The replica containers, in compose's numbering (container-number 1 is index 0). */
  const replicaContainers = async () =>
    (await composeOutput("ps", "--all", "--format", "{{.Name}}", "mcp-resource-service"))
      .split("\n")
      .filter(Boolean)
      .sort((a, b) => Number(/(\d+)$/.exec(a)?.[1]) - Number(/(\d+)$/.exec(b)?.[1]));
  const replicaContainer = async (index: number) => {
    const name = (await replicaContainers())[index];
    if (!name) throw new Error(`the running stack has no replica ${index}`);
    return name;
  };
  const replicas = (await replicaContainers()).length;
  const redis = options.redisUrl ? redisClientControl(options.redisUrl) : composeRedisControl(composeDir);
  return {
    description: `running stack at ${options.urls.service} (components via docker compose in ${composeDir})`,
    urls: options.urls,
    // Compose runs the production rules and alertmanager.yml: deadlines in minutes.
    params: DEFAULT_PARAMS,
    notify: await productionNotifyTimings(),
    redis,
    faults: new FaultsClient(options.urls.serviceReplicas ?? options.urls.service, options.faultsToken),
    provider: "external",
    replicas,
    redisTopology,
    async stopReplica(index, opts) {
      await run("docker", [opts?.kill ? "kill" : "stop", await replicaContainer(index)]);
    },
    async startReplica(index) {
      await run("docker", ["start", await replicaContainer(index)]);
    },
    async redisMaster() {
      if (redisTopology !== "sentinel") missing("Redis master lookup");
      const host = await sentinelMasterName(composeOutput);
      // Nodes announce their compose names; the URL is the balancer's, which leads to it.
      return { name: host, url: options.redisUrl ?? "redis://haproxy:6379" };
    },
    stopRedisNode: (name, opts) => compose(opts?.kill ? "kill" : "stop", name),
    startRedisNode: (name) => compose("start", name),
    stopComponent: (name) => compose("stop", composeService(name)),
    freezeComponent: (name) => compose("pause", composeService(name)),
    thawComponent: (name) => compose("unpause", composeService(name)),
    // `start`, not `up`: `up` would recreate the container from this shell's environment,
    // which may lack FAULTS_ENABLED. Readiness is what the drill's recovery check waits for.
    startComponent: (name) => compose("start", composeService(name)),
    async resetAlerting() {},
    async close() {
      await redis.close();
    },
  };
}
