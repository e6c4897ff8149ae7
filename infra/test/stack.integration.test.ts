import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCE_TYPES } from "../../lib/contract/resource-kinds.js";
import { JOBS } from "../../lib/contract/stack.js";
import { type AlertmanagerProcess, startAlertmanager } from "../../lib/harness/alertmanager.js";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";
import { type PrometheusProcess, startPrometheus } from "../../lib/harness/prometheus.js";
import {
  activeAlertmanagers,
  activeTargets,
  instantQuery,
  ruleStatuses,
  type Sample,
} from "../../lib/harness/prometheus-api.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { type RedisExporterProcess, startRedisExporter } from "../../lib/harness/redis-exporter.js";
import { loadConfig } from "../../service/src/config.js";
import { createLogger } from "../../service/src/logger.js";
import { type RunningService, startService } from "../../service/src/service.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { allRecordingRules, ruleSet } from "../src/rules/index.js";

/**
 * The committed prometheus.yml and rules against the real service, Redis (with the project's
 * redis.conf), redis_exporter and Alertmanager, all on free loopback ports. Scrape and
 * evaluation run every second so the whole pipeline is observable within seconds.
 */

const TIMEOUT = { timeoutMs: 90_000, intervalMs: 500 };

/** Known content, so the test does not depend on what service/content ships. */
async function writeContent(dir: string): Promise<void> {
  const files = {
    "sdlc/core.md": "# SDLC core\n",
    "patterns/python/core.md": "# Python core patterns\n",
    "templates/prd.md": "# PRD template\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}

const RESOURCE_PATHS = [
  "/mcp/resources/sdlc/core",
  "/mcp/resources/patterns/core?language=python",
  "/mcp/resources/templates/prd",
];

describe("Prometheus with the project's config against the running stack", () => {
  let contentDir: string;
  let redis: RedisProcess;
  let service: RunningService;
  let exporter: RedisExporterProcess;
  let alertmanager: AlertmanagerProcess;
  let prometheus: PrometheusProcess;
  let traffic: NodeJS.Timeout | undefined;
  let requests = 0;

  beforeAll(async () => {
    contentDir = await mkdtemp(path.join(tmpdir(), "stack-content-"));
    await writeContent(contentDir);
    redis = await startRedis({ projectConfig: true });
    service = await startService(
      loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        REDIS_URL: redis.url,
        LOG_LEVEL: "silent",
        CONTENT_DIR: contentDir,
        // A short TTL keeps producing misses alongside hits while the test runs.
        CACHE_TTL_SECONDS: "1",
      }),
      createLogger("silent"),
    );
    exporter = await startRedisExporter(redis.url);
    // Nothing listens there: notifications fail quietly; delivery is the drills' business.
    alertmanager = await startAlertmanager({ webhookBaseUrl: `http://127.0.0.1:${await getFreePort()}` });
    prometheus = await startPrometheus({
      scrapeTargets: {
        [JOBS.service]: new URL(service.url).host,
        [JOBS.redis]: exporter.address,
        [JOBS.alertmanager]: alertmanager.address,
      },
      alertmanagerUrl: alertmanager.url,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
    });
    // Steady light traffic on every resource type, hits and (with the 1 s TTL) misses,
    // so rates are non-zero in every window the rules use.
    traffic = setInterval(() => {
      for (const p of RESOURCE_PATHS) {
        requests++;
        void fetch(`${service.url}${p}`)
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    }, 100);
  }, 120_000);

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await prometheus?.stop();
    await alertmanager?.stop();
    await exporter?.stop();
    await service?.close();
    await redis?.stop();
    if (contentDir) await rm(contentDir, { recursive: true, force: true });
  }, 60_000);

  it("scrapes every target of prometheus.yml successfully", async () => {
    // One in-process service and no balancer here: HAProxy's job is the scaled stacks' business.
    const expected = Object.values(JOBS)
      .filter((job) => job !== JOBS.balancer)
      .sort();
    await waitFor(
      "every target up",
      async () => {
        const targets = await activeTargets(prometheus.url);
        const up = targets.filter((t) => t.health === "up").map((t) => t.labels.job ?? "");
        return targets.length === expected.length && JSON.stringify(up.sort()) === JSON.stringify(expected);
      },
      TIMEOUT,
    ).catch(async (error) => {
      const targets = await activeTargets(prometheus.url);
      throw new Error(
        `${(error as Error).message}: ${JSON.stringify(targets.map((t) => [t.labels.job, t.health, t.lastError]))}`,
      );
    });
    expect(await activeAlertmanagers(prometheus.url)).toEqual([`${alertmanager.url}/api/v2/alerts`]);
  }, 120_000);

  it("evaluates every recording rule to data, without errors", async () => {
    const records = [...new Set(allRecordingRules(ruleSet(DEFAULT_PARAMS)).map((r) => r.record))];
    const missing = async () => {
      const empty: string[] = [];
      for (const record of records)
        if ((await instantQuery(prometheus.url, record)).length === 0) empty.push(record);
      return empty;
    };
    await waitFor(
      "every recording rule to return data",
      async () => (await missing()).length === 0,
      TIMEOUT,
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}; still empty: ${(await missing()).join(", ")}`);
    });
    const unhealthy = (await ruleStatuses(prometheus.url)).filter((r) => r.health === "err");
    expect(unhealthy.map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(requests).toBeGreaterThan(0);
  }, 120_000);

  it("sees hits and misses for every resource type", async () => {
    const finiteBetween = (s: Sample) => Number.isFinite(s.value) && s.value > 0 && s.value < 1;
    await waitFor(
      "a hit ratio strictly between 0 and 1 for sdlc, patterns and templates",
      async () => {
        const ratios = await instantQuery(prometheus.url, ruleSet(DEFAULT_PARAMS).names.hitRatio.byType);
        const ok = ratios.filter(finiteBetween).map((s) => s.metric.resource_type);
        return RESOURCE_TYPES.every((t) => ok.includes(t));
      },
      TIMEOUT,
    );
    const redisRatio = await instantQuery(prometheus.url, ruleSet(DEFAULT_PARAMS).names.redisHitRatio);
    expect(redisRatio.some((s) => Number.isFinite(s.value))).toBe(true);
  }, 120_000);
});
