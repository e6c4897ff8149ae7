import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { promtools } from "../../lib/harness/binaries.js";
import { CONFIG_PATHS, REPO_ROOT } from "../../lib/repo.js";
import { run } from "../../test/support/exec.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { ALERT_TEST_SPECS } from "../src/rule-tests/alert-scenarios.js";
import { allAlerts, allRecordingRules, ruleSet } from "../src/rules/index.js";
import { WATCHDOG_ALERT } from "../src/rules/self-monitoring.js";

const PROM_DIR = path.join(REPO_ROOT, "infra/prometheus");
const rules = ruleSet(DEFAULT_PARAMS);

async function testFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".test.yml")).map((f) => path.join(dir, f));
}

/** Each promtool by the version it reports, for test names that say which one ran. */
const PROMTOOLS = promtools().map((p) => [p.version, p.path] as const);

describe.each(PROMTOOLS)("promtool %s", (version, promtool) => {
  it("check config accepts prometheus.yml and the rule files it loads", async () => {
    const result = await run(promtool, ["check", "config", CONFIG_PATHS.prometheus]);
    expect(result.code, `promtool ${version}: ${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: 2 rule files found/);
  }, 60_000);

  it("check rules accepts every rule file", async () => {
    const files = (await readdir(path.join(PROM_DIR, "rules"))).map((f) => path.join(PROM_DIR, "rules", f));
    const result = await run(promtool, ["check", "rules", ...files]);
    expect(result.code, `promtool ${version}: ${result.stdout}${result.stderr}`).toBe(0);
    const total = allRecordingRules(rules).length + allAlerts(rules).length;
    const found = [...result.stdout.matchAll(/SUCCESS: (\d+) rules found/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(found).toBe(total);
  }, 60_000);

  it("test rules passes every alert and recording-rule unit test", async () => {
    const files = await testFiles(path.join(PROM_DIR, "tests"));
    const result = await run(promtool, ["test", "rules", ...files], { timeoutMs: 170_000 });
    expect(result.code, `promtool ${version}: ${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout.match(/SUCCESS/g)?.length).toBe(files.length);
  }, 180_000);
});

describe("promtool unit tests cover every alert", () => {
  const specs = new Map(ALERT_TEST_SPECS.map((s) => [s.alert, s]));
  const guardRecords = [rules.names.loadRate.overall, rules.names.lookupRate, "slo:sli_requests:"];

  it.each(allAlerts(rules).map((a) => [a.alert, a] as const))(
    "%s: fires, below, idle (and guard)",
    (_, alert) => {
      const spec = specs.get(alert.alert);
      expect(spec, `no promtool scenarios for ${alert.alert}`).toBeDefined();
      const kinds = new Set(spec?.scenarios.map((s) => s.kind));
      if (alert.alert === WATCHDOG_ALERT) {
        // Always firing: no data can keep it quiet, so it only has "fires" scenarios.
        expect([...kinds]).toEqual(["fires"]);
        return;
      }
      expect([...kinds]).toEqual(expect.arrayContaining(["fires", "below", "idle"]));
      if (guardRecords.some((r) => alert.expr.includes(r))) expect(kinds).toContain("guard");
    },
  );

  it("has no scenarios for alerts that do not exist", () => {
    const names = new Set(allAlerts(rules).map((a) => a.alert));
    expect([...specs.keys()].filter((n) => !names.has(n))).toEqual([]);
  });
});

describe.each(PROMTOOLS)("promtool %s unit tests can fail", (_, promtool) => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Copies rules and tests, applies `mutate` to alerts.yml (or `ruleFile`), runs one test file. */
  async function runMutated(testFile: string, mutate: (alerts: string) => string, ruleFile = "alerts.yml") {
    const dir = await mkdtemp(path.join(tmpdir(), "promtool-mutant-"));
    dirs.push(dir);
    await cp(path.join(PROM_DIR, "rules"), path.join(dir, "rules"), { recursive: true });
    await cp(path.join(PROM_DIR, "tests"), path.join(dir, "tests"), { recursive: true });
    const alertsFile = path.join(dir, "rules", ruleFile);
    const original = await readFile(alertsFile, "utf8");
    const mutated = mutate(original);
    expect(mutated).not.toBe(original);
    await writeFile(alertsFile, mutated);
    return await run(promtool, ["test", "rules", path.join(dir, "tests", testFile)]);
  }

  it("when the p95 threshold moves above the test's 125 ms", async () => {
    const result = await runMutated("resource-loading-latency-p95-high.test.yml", (s) =>
      s.replace(
        ":mcp_resource_loading_latency_seconds:p95_rate5m > 0.1",
        ":mcp_resource_loading_latency_seconds:p95_rate5m > 0.13",
      ),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
  }, 60_000);

  it("when an alert's `for` gets shorter than the test expects", async () => {
    const result = await runMutated("resource-cache-hit-rate-low.test.yml", (s) =>
      s.replace(/(alert: ResourceCacheHitRateLow[\s\S]*?for: )10m/, (_, head: string) => `${head}5m`),
    );
    expect(result.code).not.toBe(0);
  }, 60_000);

  it("when the cache-write alert loses its Redis-reachable guard", async () => {
    const result = await runMutated("resource-cache-writes-failing.test.yml", (s) =>
      s.replace(
        /\n\s*and\n\s*min by \(instance\) \(min_over_time\(mcp_resource_cache_up\{[^}]*\}\[5m\]\)\) == 1/,
        "",
      ),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED:[\s\S]*ResourceCacheWritesFailing guard/);
  }, 60_000);

  it("when the traffic guard is dropped", async () => {
    const result = await runMutated("resource-latency-slo-fast-burn.test.yml", (s) =>
      s.replaceAll(/\n\s*and\n\s*slo:sli_requests:rate\w+\{slo="resource-loading-latency"\} > 1/g, ""),
    );
    expect(result.code).not.toBe(0);
  }, 60_000);

  // The forms that are right for one instance and wrong for N replicas.
  it("when the service-down page goes back to per-instance `up == 0` (one replica of three would page)", async () => {
    const result = await runMutated("resource-service-down.test.yml", (s) =>
      s.replace('sum by (job) (up{job="mcp-resource-service"}) == 0', 'up{job="mcp-resource-service"} == 0'),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED:[\s\S]*one of three replicas down/);
  }, 60_000);

  it("when the replica alert loses its all-down guard (it would fire beside the page)", async () => {
    const result = await runMutated("resource-service-replica-down.test.yml", (s) =>
      s.replace(
        '(sum by (job) (up{job="mcp-resource-service"}) > 0)',
        'sum by (job) (up{job="mcp-resource-service"})',
      ),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED:[\s\S]*every replica down/);
  }, 60_000);

  it("when the replica alert forgets vanished targets (dns_sd)", async () => {
    const result = await runMutated("resource-service-replica-down.test.yml", (s) =>
      s.replace(/\n\s*or\n\s*\(max_over_time\(up[\s\S]*?\[10m\]\)\)\n/, "\n"),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED:[\s\S]*gone from discovery/);
  }, 60_000);

  it("when the overall hit ratio averages per-replica ratios instead of summing lookups", async () => {
    const hits = 'rate(mcp_resource_cache_hits_total{job="mcp-resource-service"}[5m])';
    const misses = 'rate(mcp_resource_cache_misses_total{job="mcp-resource-service"}[5m])';
    const result = await runMutated(
      "recording-rules.test.yml",
      (s) =>
        s.replace(
          `sum(${hits})\n          /\n          (sum(${hits}) + sum(${misses}))`,
          `avg(sum by (instance) (${hits}) / (sum by (instance) (${hits}) + sum by (instance) (${misses})))`,
        ),
      "recording.yml",
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED:[\s\S]*mcp_resource_cache_hits:ratio_rate5m/);
  }, 60_000);
});
