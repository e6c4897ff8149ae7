import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { OUTPUT_PATHS } from "../../infra/src/outputs.js";
import { DEFAULT_PARAMS } from "../../infra/src/rule-params.js";
import { allRecordingRules, ruleSet } from "../../infra/src/rules/index.js";
import { allPanels, loadDashboard, substituteVariables } from "../../infra/test/dashboard-queries.js";
import { JOBS } from "../../lib/contract/stack.js";
import { waitFor } from "../../lib/harness/ports.js";
import { activeTargets, instantQuery } from "../../lib/harness/prometheus-api.js";
import {
  dockerEngineAnswers,
  type ProviderName,
  type Stack,
  startStack,
} from "../../lib/harness/stack/index.js";
import { FREE_PORTS } from "../../lib/harness/stack/types.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { runAutocannon } from "../../loadtest/src/engines/autocannon.js";
import { getProfile } from "../../loadtest/src/workload/profiles.js";

/**
 * The whole stack, as users run it, under a short load: every target up, every recording
 * rule and every panel query of the resource dashboard answering with data from the real
 * Prometheus, a request's trace in Jaeger, and one alert routed end to end to the webhook
 * receiver and resolved. Once per provider: the native twin, and docker-compose.yml through
 * testcontainers (the offline images, when `task images:offline` built them) wherever a
 * Docker engine answers.
 */

const SLOW = { timeoutMs: 120_000, intervalMs: 1_000 };
const PROBE_ALERT = "WholeStackProbeCacheDown";

interface Notification {
  receiver: string;
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

/** Panels that show alert states are empty while nothing fires; they are checked while one does. */
const isAlertPanel = (expr: string) => /\bALERTS\b/.test(expr);

async function panelQueries(): Promise<Array<{ panel: string; expr: string }>> {
  const dashboard = await loadDashboard(OUTPUT_PATHS.resourceDashboard);
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => t.expr)
      .map((t) => ({ panel: panel.title, expr: substituteVariables(t.expr ?? "") })),
  );
}

async function notifications(stack: Stack): Promise<Notification[]> {
  return (await (await fetch(`${stack.urls.alertWebhook}/notifications`)).json()) as Notification[];
}

const ENGINE = await dockerEngineAnswers();
if (!ENGINE) {
  console.warn("whole-stack tests: containers provider SKIPPED: no Docker engine answers on this machine");
}

describe.each([
  ["native", true],
  ["containers", ENGINE],
] as Array<[ProviderName, boolean]>)("the whole stack (%s provider)", (provider, available) => {
  if (!available) {
    it.skip("needs a Docker engine", () => {});
    return;
  }
  let stack: Stack;
  let ruleDir: string;

  beforeAll(async () => {
    ruleDir = await mkdtemp(path.join(tmpdir(), "stack-rules-"));
    // A probe alert with no `for`, so the end-to-end test does not wait out production
    // durations; it rides the same routing tree (severity ticket) as the real alerts.
    const probeRules = path.join(ruleDir, "probe.yml");
    await writeFile(
      probeRules,
      stringify({
        groups: [
          {
            name: "whole-stack-probe",
            rules: [
              {
                alert: PROBE_ALERT,
                expr: `mcp_resource_cache_up{job="${JOBS.service}"} == 0`,
                labels: { severity: "ticket", service: JOBS.service },
                annotations: { summary: "probe: the service lost Redis", runbook_url: "docs/runbook.md" },
              },
            ],
          },
        ],
      }),
    );
    const productionRules = [OUTPUT_PATHS.recordingRules, OUTPUT_PATHS.alertRules].map((p) =>
      path.join(REPO_ROOT, p),
    );
    stack = await startStack(
      {
        // Every port free, Jaeger's included: nothing collides with a stack already running.
        ports: FREE_PORTS,
        ruleFiles: [...productionRules, probeRules],
        scrapeInterval: "1s",
        evaluationInterval: "1s",
        alertmanagerTimings: { group_wait: "1s", group_interval: "1s", repeat_interval: "1h" },
        logDir: path.join(ruleDir, "logs"),
      },
      provider,
    );
    console.info(
      `whole-stack tests: provider=${stack.provider}${stack.envFile ? ` (compose project ${stack.projectName}, ${stack.envFile})` : ""}`,
    );
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    if (ruleDir) await rm(ruleDir, { recursive: true, force: true });
  }, 60_000);

  it("has every Prometheus target up", async () => {
    const targets = await waitFor(
      "all targets up",
      async () => {
        const found = await activeTargets(stack.urls.prometheus);
        // One target per job, but one per replica for the service (each its own `instance`).
        const expected = Object.keys(JOBS).length - 1 + stack.replicas;
        return found.length === expected && found.every((t) => t.health === "up") && found;
      },
      SLOW,
    );
    if (provider === "containers") {
      // Scraped by compose DNS names on the project's network, as prometheus.yml says; the
      // replicas by the addresses Docker's DNS gives for the service name.
      const byJob = (job: string) =>
        targets.filter((t) => t.labels.job === job).map((t) => t.labels.instance);
      expect(byJob(JOBS.service)).toHaveLength(stack.replicas);
      for (const instance of byJob(JOBS.service)) expect(instance).toMatch(/^[\d.]+:8000$/);
      expect(
        targets
          .filter((t) => t.labels.job !== JOBS.service)
          .map((t) => t.labels.instance)
          .sort(),
      ).toEqual(["alertmanager:9093", "haproxy:8404", "prometheus:9090", "redis-exporter:9121"].sort());
    }
  }, 150_000);

  it("answers every recording rule and every dashboard panel query with data after a short load", async () => {
    const summary = await runAutocannon({
      baseUrl: stack.urls.service,
      profile: { ...getProfile("quick"), users: 10, spawnRate: 10 },
      durationSeconds: 8,
      thresholds: [],
      testId: "whole-stack",
      seed: 42,
    });
    expect(summary.overall.requests).toBeGreaterThan(100);
    expect(summary.overall.failures).toBe(0);

    const records = [...new Set(allRecordingRules(ruleSet(DEFAULT_PARAMS)).map((r) => r.record))];
    const queries = (await panelQueries()).filter((q) => !isAlertPanel(q.expr));
    expect(queries.length).toBeGreaterThan(10);
    const empty = async () => {
      const missing: string[] = [];
      for (const record of records)
        if ((await instantQuery(stack.urls.prometheus, record)).length === 0) missing.push(record);
      for (const { panel, expr } of queries) {
        if ((await instantQuery(stack.urls.prometheus, expr)).length === 0) missing.push(`${panel}: ${expr}`);
      }
      return missing;
    };
    await waitFor(
      "recording rules and panel queries to return data",
      async () => (await empty()).length === 0,
      SLOW,
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}; still empty:\n  ${(await empty()).join("\n  ")}`);
    });
  }, 200_000);

  it("finds a request's trace in Jaeger's query API", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await fetch(`${stack.urls.service}/mcp/resources/templates/adr`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(200);
    interface JaegerTrace {
      data: Array<{ spans: Array<{ operationName: string; tags: Array<{ key: string; value: unknown }> }> }>;
    }
    const trace = await waitFor(
      "the trace in Jaeger",
      async () => {
        const found = await fetch(`${stack.urls.jaeger}/api/traces/${traceId}`);
        if (!found.ok) return undefined;
        const body = (await found.json()) as JaegerTrace;
        const spans = body.data[0]?.spans ?? [];
        return spans.some((s) => s.operationName === "resource.load") ? spans : undefined;
      },
      SLOW,
    );
    const load = trace.find((s) => s.operationName === "resource.load");
    expect(load?.tags).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: "resource.type", value: "templates" })]),
    );
  }, 150_000);

  it("routes an alert end to end to the webhook receiver, and its resolution", async () => {
    const alertName = PROBE_ALERT;
    const seen = (status: string) => async () =>
      (await notifications(stack)).some((n) =>
        n.alerts.some((a) => a.labels.alertname === alertName && a.status === status),
      );
    await stack.stopComponent("redis");
    await waitFor(`${alertName} firing at the webhook`, seen("firing"), SLOW);
    // While it fires, the dashboard's alert-state panels have data too.
    const alertPanels = (await panelQueries()).filter((q) => isAlertPanel(q.expr));
    expect(alertPanels.length).toBeGreaterThan(0);
    for (const { panel, expr } of alertPanels) {
      expect((await instantQuery(stack.urls.prometheus, expr)).length, panel).toBeGreaterThan(0);
    }
    await stack.startComponent("redis");
    await waitFor(`${alertName} resolved at the webhook`, seen("resolved"), SLOW);
    const received = (await notifications(stack)).filter((n) =>
      n.alerts.some((a) => a.labels.alertname === alertName),
    );
    expect(received[0]?.receiver).toBe("ticket");
  }, 300_000);
});
