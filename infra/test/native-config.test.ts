import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { JOBS } from "../../lib/contract/stack.js";
import { promtools } from "../../lib/harness/binaries.js";
import {
  fileSdTargets,
  rewriteAlertmanagerConfig,
  rewritePrometheusConfig,
  rewriteSentinelConfig,
} from "../../lib/harness/config-rewrite.js";
import { SENTINEL_CONFIG } from "../../lib/harness/sentinel.js";
import { redisTopology, serviceReplicas } from "../../lib/harness/stack/topology.js";
import { CONFIG_PATHS } from "../../lib/repo.js";

const run = promisify(execFile);

describe("rewritePrometheusConfig", () => {
  it("points jobs at loopback, drops the others, resolves rule files and shortens intervals", async () => {
    const original = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    const out = rewritePrometheusConfig(original, {
      scrapeTargets: { "mcp-resource-service": "127.0.0.1:1111", redis: "127.0.0.1:2222" },
      alertmanagers: ["127.0.0.1:3333"],
      configDir: "/repo/infra/prometheus",
      scrapeInterval: "1s",
      evaluationInterval: "1s",
    });
    expect(out.global).toEqual({ scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "1s" });
    expect(out.scrape_configs).toEqual([
      expect.objectContaining({
        job_name: "mcp-resource-service",
        static_configs: [{ targets: ["127.0.0.1:1111"] }],
      }),
      expect.objectContaining({ job_name: "redis", static_configs: [{ targets: ["127.0.0.1:2222"] }] }),
    ]);
    // Compose's DNS discovery does not survive into a loopback config.
    expect(JSON.stringify(out.scrape_configs)).not.toContain("dns_sd_configs");
    expect(out.rule_files).toEqual(["/repo/infra/prometheus/rules/*.yml"]);
    expect(out.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:3333"] }] }] });
    // The parsed original is untouched.
    expect(original.global.scrape_interval).toBe("15s");
  });

  it("refuses a job the config does not have (a typo would silently scrape nothing)", async () => {
    const original = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    expect(() =>
      rewritePrometheusConfig(original, { scrapeTargets: { "mcp-resource-servce": "x:1" }, configDir: "/" }),
    ).toThrow(/mcp-resource-servce/);
  });
});

describe("prometheus.yml for replicas", () => {
  it("compose discovers the replicas by DNS and scrapes HAProxy as job haproxy", async () => {
    const config = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    const job = (name: string) =>
      config.scrape_configs.find((j: { job_name: string }) => j.job_name === name);
    expect(job(JOBS.service).dns_sd_configs).toEqual([
      expect.objectContaining({ names: ["mcp-resource-service"], type: "A", port: 8000 }),
    ]);
    expect(job(JOBS.service).static_configs).toBeUndefined();
    expect(job(JOBS.balancer).static_configs).toEqual([{ targets: ["haproxy:8404"] }]);
  });

  it("the native rewrite lists the replicas in a file_sd file that every promtool accepts", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "prom-native-"));
    try {
      const replicas = ["127.0.0.1:1111", "127.0.0.1:1112", "127.0.0.1:1113"];
      const targetFile = path.join(dir, "mcp-resource-service.json");
      await writeFile(targetFile, fileSdTargets(replicas));
      const out = rewritePrometheusConfig(parse(await readFile(CONFIG_PATHS.prometheus, "utf8")), {
        scrapeTargets: { [JOBS.service]: replicas, [JOBS.balancer]: "127.0.0.1:8404" },
        targetFiles: { [JOBS.service]: targetFile },
        configDir: path.dirname(CONFIG_PATHS.prometheus),
      });
      expect(out.scrape_configs).toEqual([
        expect.objectContaining({
          job_name: JOBS.service,
          sample_limit: 10000,
          file_sd_configs: [{ files: [targetFile], refresh_interval: "5s" }],
        }),
        expect.objectContaining({
          job_name: JOBS.balancer,
          static_configs: [{ targets: ["127.0.0.1:8404"] }],
        }),
      ]);
      expect(out.scrape_configs as object[]).not.toContainEqual(
        expect.objectContaining({ dns_sd_configs: expect.anything() }),
      );
      expect(JSON.parse(await readFile(targetFile, "utf8"))).toEqual([{ targets: replicas, labels: {} }]);
      const configFile = path.join(dir, "prometheus.yml");
      await writeFile(configFile, stringify(out));
      for (const promtool of promtools()) {
        const result = await run(promtool.path, ["check", "config", configFile]).catch(
          (error: { stdout?: string; stderr?: string }) => ({
            stdout: error.stdout,
            stderr: error.stderr,
            failed: true,
          }),
        );
        expect(result, `promtool ${promtool.version}`).not.toHaveProperty("failed");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("rewritePrometheusConfig for compose (keepTargets)", () => {
  it("keeps every job as committed, DNS discovery included, and changes only intervals and rules", async () => {
    const original = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    const out = rewritePrometheusConfig(original, {
      keepTargets: true,
      scrapeTargets: {},
      alertmanagers: ["alertmanager:9093"],
      ruleFiles: ["rules/*.yml"],
      configDir: "/etc/prometheus",
      scrapeInterval: "1s",
    });
    expect(out.scrape_configs).toEqual(original.scrape_configs);
    expect(out.rule_files).toEqual(["/etc/prometheus/rules/*.yml"]);
    expect((out.global as { scrape_interval: string }).scrape_interval).toBe("1s");
  });
});

describe("rewriteSentinelConfig", () => {
  it("monitors the master on loopback, keeps the quorum and timings, binds loopback", async () => {
    const out = rewriteSentinelConfig(await readFile(SENTINEL_CONFIG, "utf8"), {
      port: 26400,
      masterPort: 6400,
      dir: "/tmp/s1",
    });
    expect(out).toMatch(/^port 26400$/m);
    expect(out).toMatch(/^sentinel monitor resource-cache 127\.0\.0\.1 6400 2$/m);
    expect(out).toMatch(/^sentinel down-after-milliseconds resource-cache 3000$/m);
    expect(out).toMatch(/^bind 127\.0\.0\.1$/m);
    expect(out).toMatch(/^dir \/tmp\/s1$/m);
    expect(out).not.toMatch(/^port 26379$/m);
  });
});

describe("native stack topology", () => {
  it("replicas: option, else SERVICE_REPLICAS, else 2; an integer from 1 to 10", () => {
    expect(serviceReplicas({}, {})).toBe(2);
    expect(serviceReplicas({}, { SERVICE_REPLICAS: "3" })).toBe(3);
    expect(serviceReplicas({ replicas: 1 }, { SERVICE_REPLICAS: "3" })).toBe(1);
    for (const bad of ["0", "11", "2.5", "x", "-1", "1e1"])
      expect(() => serviceReplicas({}, { SERVICE_REPLICAS: bad })).toThrow(/SERVICE_REPLICAS=.*1 to 10/);
    expect(() => serviceReplicas({ replicas: 0 }, {})).toThrow(/replicas option 0/);
  });

  it("Redis topology: option, else REDIS_TOPOLOGY, else single", () => {
    expect(redisTopology({}, {})).toBe("single");
    expect(redisTopology({}, { REDIS_TOPOLOGY: "sentinel" })).toBe("sentinel");
    expect(redisTopology({ redisTopology: "single" }, { REDIS_TOPOLOGY: "sentinel" })).toBe("single");
    expect(() => redisTopology({}, { REDIS_TOPOLOGY: "cluster" })).toThrow(/single, sentinel/);
  });
});

describe("rewriteAlertmanagerConfig", () => {
  it("moves every webhook to the given origin, keeping paths, and can shorten route timings", async () => {
    const original = parse(await readFile(CONFIG_PATHS.alertmanager, "utf8"));
    const out = rewriteAlertmanagerConfig(original, {
      webhookBaseUrl: "http://127.0.0.1:4444",
      timings: { group_wait: "1s", group_interval: "1s" },
    });
    const urls = (out.receivers as { webhook_configs: { url: string }[] }[]).flatMap((r) =>
      r.webhook_configs.map((w) => w.url),
    );
    expect(urls).toEqual([
      "http://127.0.0.1:4444/page",
      "http://127.0.0.1:4444/ticket",
      "http://127.0.0.1:4444/watchdog",
    ]);
    const route = out.route as { group_wait: string; routes: { receiver: string; group_wait?: string }[] };
    const child = (receiver: string) => route.routes.find((r) => r.receiver === receiver);
    expect(route.group_wait).toBe("1s");
    expect(child("watchdog")?.group_wait).toBe("1s");
    expect(child("page")?.group_wait).toBe("1s");
    // A child that inherited its timing keeps inheriting.
    expect(child("ticket")?.group_wait).toBeUndefined();
  });
});
