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
import { type ComponentName, type ProviderName, startStack } from "../../lib/harness/stack/index.js";
import { DEFAULT_PORTS } from "../../lib/harness/stack/types.js";
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
  readonly service: string;
  readonly prometheus: string;
  readonly alertmanager: string;
  readonly alertWebhook: string;
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
        ports: Object.fromEntries(Object.keys(DEFAULT_PORTS).map((k) => [k, 0])),
        serviceEnv: { FAULTS_ENABLED: "true", FAULTS_TOKEN: faultsToken, LOG_LEVEL: "warn" },
        ruleFiles,
        scrapeInterval: DRILL_SCRAPE_INTERVAL,
        evaluationInterval: DRILL_EVALUATION_INTERVAL,
        alertmanagerTimings: { ...DRILL_ALERTMANAGER_TIMINGS },
        logDir: options.logDir ?? path.join(dir, "logs"),
        ephemeralData: true,
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
      description: `${where}, Prometheus ${stack.urls.prometheus}, rules time-scaled`,
      provider: stack.provider,
      urls: stack.urls,
      params,
      notify: DRILL_NOTIFY_TIMINGS,
      redis,
      faults: new FaultsClient(stack.urls.service, faultsToken),
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
}

/** docker-compose.yml names its services as the stack module names components, but one. */
const composeService = (name: ComponentName) => (name === "service" ? "mcp-resource-service" : name);

const run = promisify(execFile);

export async function externalDrillStack(options: ExternalDrillStackOptions): Promise<DrillStack> {
  const composeDir = options.composeDir ?? REPO_ROOT;
  const compose = async (...args: string[]) => {
    await run("docker", ["compose", ...args], { cwd: composeDir });
  };
  const redis = options.redisUrl ? redisClientControl(options.redisUrl) : composeRedisControl(composeDir);
  return {
    description: `running stack at ${options.urls.service} (components via docker compose in ${composeDir})`,
    urls: options.urls,
    // Compose runs the production rules and alertmanager.yml: deadlines in minutes.
    params: DEFAULT_PARAMS,
    notify: await productionNotifyTimings(),
    redis,
    faults: new FaultsClient(options.urls.service, options.faultsToken),
    provider: "external",
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
