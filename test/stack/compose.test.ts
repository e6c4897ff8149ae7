import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../../infra/src/paths.js";
import { SHIPPED_RUNTIME_ENV } from "../../loadtest/src/selfhost.js";

/**
 * Static checks of docker-compose.yml: no Docker engine runs here, but Debian's
 * docker-compose validates and interpolates the file without one.
 */

interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  healthcheck?: { test?: unknown };
  ports?: Array<{ published?: number | string; target: number }>;
  volumes?: Array<{ type: string; source?: string; target: string } | string>;
  depends_on?: Record<string, { condition: string }>;
  mem_limit?: string | number;
}

/** Ports the contract fixes for each scrape target, by compose service name. */
const CONTRACT_PORTS: Record<string, number> = {
  "mcp-resource-service": 8000,
  "redis-exporter": 9121,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
};

let services: Record<string, ComposeService>;
let env: Record<string, string>;

beforeAll(() => {
  const resolved = execFileSync("docker-compose", ["--profile", "loadtest", "config"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  services = (parse(resolved) as { services: Record<string, ComposeService> }).services;
  env = Object.fromEntries(
    readFileSync(path.join(REPO_ROOT, ".env"), "utf8")
      .split("\n")
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => line.split("=", 2) as [string, string]),
  );
});

describe("docker-compose.yml", () => {
  it("passes docker-compose config", () => {
    execFileSync("docker-compose", ["config", "-q"], { cwd: REPO_ROOT });
    expect(Object.keys(services).sort()).toEqual(
      [
        "alert-webhook",
        "alertmanager",
        "grafana",
        "jaeger",
        "k6",
        "mcp-resource-service",
        "prometheus",
        "redis",
        "redis-exporter",
      ].sort(),
    );
  });

  it("bind-mounts only files and directories that exist", () => {
    // docker-compose v1 prints short syntax (source:target[:mode]); named volumes have no slash.
    const sources = Object.values(services).flatMap((s) =>
      (s.volumes ?? []).flatMap((v) => {
        const source = typeof v === "string" ? v.split(":")[0] : v.type === "bind" ? v.source : undefined;
        return source?.startsWith("/") ? [source] : [];
      }),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(source), source).toBe(true);
  });

  it("pins every image in .env, none unpinned or latest", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue; // built from service/Dockerfile, FROM ${NODE_IMAGE}
      expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
      expect(Object.values(env), `${name}'s image comes from .env`).toContain(service.image);
    }
    const dockerfile = readFileSync(path.join(REPO_ROOT, "service/Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=.+:.+$/m);
  });

  it("ships the runtime memory settings the benchmarks measured", () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, "service/Dockerfile"), "utf8");
    for (const [name, value] of Object.entries(SHIPPED_RUNTIME_ENV))
      expect(dockerfile, `Dockerfile ENV ${name}`).toMatch(new RegExp(`\\s${name}=${value}(\\s|$)`, "m"));
  });

  it("has a healthcheck on every long-running service and waits on health", () => {
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

  it("publishes only the user-facing ports", () => {
    const published = Object.entries(services)
      .flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name}:${p.published}`))
      .sort();
    expect(published).toEqual(
      [
        "alert-webhook:5001",
        "alertmanager:9093",
        "grafana:3000",
        "jaeger:16686",
        "mcp-resource-service:8000",
        "prometheus:9090",
      ].sort(),
    );
  });

  it("matches Prometheus scrape targets and Alertmanager webhooks to compose services and ports", () => {
    const prometheus = parse(
      readFileSync(path.join(REPO_ROOT, "infra/prometheus/prometheus.yml"), "utf8"),
    ) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    };
    const targets = [
      ...prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets)),
      ...prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets)),
    ];
    expect(targets.length).toBeGreaterThanOrEqual(5);
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

  it("runs the same versions as the native stack's Debian binaries", () => {
    const version = (command: string, args: string[]) =>
      execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).toString();
    const tag = (image: string | undefined) =>
      image
        ?.split(":")[1]
        ?.replace(/^v/, "")
        .replace(/-alpine$/, "");
    expect(version("prometheus", ["--version"])).toContain(`version ${tag(env.PROMETHEUS_IMAGE)}`);
    expect(version("prometheus-alertmanager", ["--version"])).toContain(
      `version ${tag(env.ALERTMANAGER_IMAGE)}`,
    );
    expect(version("redis-server", ["--version"])).toContain(`v=${tag(env.REDIS_IMAGE)}`);
    const exporter = execFileSync("prometheus-redis-exporter", ["--version"], {
      encoding: "utf8",
      stdio: "pipe",
    });
    expect(exporter).toContain(`Exporter ${tag(env.REDIS_EXPORTER_IMAGE)}`);
  });
});
