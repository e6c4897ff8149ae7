/**
 * The stack from docker-compose.yml through testcontainers' DockerComposeEnvironment: every
 * service healthy before it returns, as a compose project of its own (so it never meets a
 * stack the user runs). What tests and drills change goes into an override file in a scratch
 * directory, never into the committed files: rule files and intervals for Prometheus, grouping
 * timings for Alertmanager, extra service environment, and Redis published on loopback.
 * Components are stopped, started, paused and resumed with `docker compose`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DockerComposeEnvironment, Wait } from "testcontainers";
import { parse, stringify } from "yaml";
import { CONFIG_PATHS, REPO_ROOT } from "../../repo.js";
import { rewriteAlertmanagerConfig, rewritePrometheusConfig } from "../config-rewrite.js";
import { getFreePort } from "../ports.js";
import {
  type ComponentName,
  DEFAULT_PORTS,
  STACK_PORT_VARIABLES,
  type Stack,
  type StackOptions,
  type StackPorts,
} from "./types.js";

const COMPOSE_FILE = "docker-compose.yml";

/** Compose service names, by the component names drills use. */
export const COMPOSE_SERVICES: Record<ComponentName, string> = {
  redis: "redis",
  service: "mcp-resource-service",
  "redis-exporter": "redis-exporter",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  "alert-webhook": "alert-webhook",
  jaeger: "jaeger",
};

/** The ports a compose stack publishes (the rest stay on its network). */
const PUBLISHED: ReadonlyArray<keyof StackPorts> = [
  "service",
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

/** Files the containers read run as other users (nobody, node): readable by all. */
async function writeShared(file: string, content: string): Promise<void> {
  await writeFile(file, content);
  await chmod(file, 0o644);
}

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "compose-stack-"));
  await chmod(dir, 0o755);
  return dir;
}

/** prometheus.yml and rules/ for the container, as options ask; undefined when nothing changes. */
async function prometheusOverride(dir: string, options: StackOptions): Promise<string | undefined> {
  if (!options.ruleFiles && !options.scrapeInterval && !options.evaluationInterval) return undefined;
  const config = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
  const jobs = (config.scrape_configs ?? []) as Array<{
    job_name: string;
    static_configs: Array<{ targets: string[] }>;
  }>;
  const rewritten = rewritePrometheusConfig(config, {
    // Compose service names stay: the container resolves them on the project's network.
    scrapeTargets: Object.fromEntries(jobs.map((j) => [j.job_name, String(j.static_configs[0]?.targets[0])])),
    alertmanagers: (config.alerting?.alertmanagers ?? []).flatMap(
      (a: { static_configs: Array<{ targets: string[] }> }) => a.static_configs.flatMap((c) => c.targets),
    ),
    ruleFiles: ["rules/*.yml"],
    configDir: "/etc/prometheus",
    ...(options.scrapeInterval ? { scrapeInterval: options.scrapeInterval } : {}),
    ...(options.evaluationInterval ? { evaluationInterval: options.evaluationInterval } : {}),
  });
  const out = path.join(dir, "prometheus");
  const rules = path.join(out, "rules");
  await mkdir(rules, { recursive: true });
  await chmod(out, 0o755);
  await chmod(rules, 0o755);
  await writeShared(path.join(out, "prometheus.yml"), stringify(rewritten));
  const ruleFiles = options.ruleFiles ?? [
    path.join(REPO_ROOT, "infra/prometheus/rules/recording.yml"),
    path.join(REPO_ROOT, "infra/prometheus/rules/alerts.yml"),
  ];
  const seen = new Set<string>();
  for (const [index, file] of ruleFiles.entries()) {
    // Prometheus loads rules/*.yml: same base names from different directories must not collide.
    let name = path.basename(file).replace(/\.ya?ml$/, ".yml");
    if (seen.has(name)) name = `${index}-${name}`;
    seen.add(name);
    await copyFile(file, path.join(rules, name));
    await chmod(path.join(rules, name), 0o644);
  }
  return out;
}

async function alertmanagerOverride(dir: string, options: StackOptions): Promise<string | undefined> {
  if (!options.alertmanagerTimings) return undefined;
  const config = rewriteAlertmanagerConfig(parse(await readFile(CONFIG_PATHS.alertmanager, "utf8")), {
    timings: options.alertmanagerTimings,
  });
  const file = path.join(dir, "alertmanager.yml");
  await writeShared(file, stringify(config));
  return file;
}

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
  const dir = await scratchDir();
  const ports = await resolvePorts(options.ports);

  const prometheusDir = await prometheusOverride(dir, options);
  const alertmanagerFile = await alertmanagerOverride(dir, options);
  const override = {
    services: {
      redis: { ports: [`127.0.0.1:${ports.redis}:6379`] },
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

  // The environment of the `docker compose` processes: the ports, and nothing from this
  // shell that would silently win over the env file (an exported NODE_IMAGE, say).
  const composeEnv: Record<string, string> = Object.fromEntries(
    PUBLISHED.map((key) => [STACK_PORT_VARIABLES[key], String(ports[key])]),
  );
  const files = [COMPOSE_FILE, overrideFile];
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
  return {
    provider: "containers",
    projectName,
    envFile,
    urls: {
      service: loopback(ports.service),
      prometheus: loopback(ports.prometheus),
      alertmanager: loopback(ports.alertmanager),
      alertWebhook: loopback(ports.alertWebhook),
      jaeger: loopback(ports.jaegerQuery),
      redis: `redis://127.0.0.1:${ports.redis}`,
      ...((await compose("ps", "--services")).split("\n").includes("grafana")
        ? { grafana: loopback(ports.grafana) }
        : {}),
    },
    compose,
    async stopComponent(name) {
      await compose("stop", COMPOSE_SERVICES[name]);
    },
    async startComponent(name) {
      // The same container (and environment) as before, not a new one; back once healthy.
      await compose("up", "--detach", "--no-recreate", "--no-deps", "--wait", COMPOSE_SERVICES[name]);
    },
    async freezeComponent(name) {
      await compose("pause", COMPOSE_SERVICES[name]);
    },
    async thawComponent(name) {
      await compose("unpause", COMPOSE_SERVICES[name]);
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
