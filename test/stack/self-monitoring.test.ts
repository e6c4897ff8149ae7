/**
 * The alerting pipeline watches itself, end to end on a native stack (Prometheus, Alertmanager
 * and the webhook receiver with the project's configs; the rules time-scaled as the drills load
 * them, scraping and evaluating every second): the Watchdog heartbeat reaches the watchdog
 * receiver, and with Alertmanager stopped Prometheus' notification-failure alert fires and is
 * delivered once Alertmanager is back. Always native: it stops and starts one component and
 * needs the time-scaled rules, which only the native provider takes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DRILL_ALERTMANAGER_TIMINGS,
  DRILL_EVALUATION_INTERVAL,
  DRILL_SCRAPE_INTERVAL,
  drillParams,
  writeDrillRules,
} from "../../infra/drills/time-scale.js";
import { allAlerts, ruleSet } from "../../infra/src/rules/index.js";
import { WATCHDOG_ALERT } from "../../infra/src/rules/self-monitoring.js";
import { parseDuration } from "../../lib/contract/duration.js";
import { waitFor } from "../../lib/harness/ports.js";
import { prometheusAlerts } from "../../lib/harness/prometheus-api.js";
import { type Stack, startStack } from "../../lib/harness/stack/index.js";
import { FREE_PORTS } from "../../lib/harness/stack/types.js";

const NOTIFICATION_ALERT = "PrometheusErrorSendingAlertsToAnyAlertmanager";
const params = drillParams();
const notificationRule = allAlerts(ruleSet(params)).find((a) => a.alert === NOTIFICATION_ALERT);

interface Notification {
  receivedAt: string;
  receiver: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

async function notifications(stack: Stack): Promise<Notification[]> {
  const response = await fetch(`${stack.urls.alertWebhook}/notifications`, {
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as Notification[];
}

/** The first notification since `since` (epoch ms) carrying `alert` in `status`. */
async function delivered(
  stack: Stack,
  alert: string,
  status: "firing" | "resolved",
  since = 0,
): Promise<Notification | undefined> {
  return (await notifications(stack)).find(
    (n) =>
      Date.parse(n.receivedAt) >= since &&
      n.alerts.some((a) => a.labels.alertname === alert && a.status === status),
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe("self-monitoring on a native stack", () => {
  let stack: Stack;
  let dir: string;
  let startedAt = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "self-monitoring-"));
    const ruleFiles = await writeDrillRules(path.join(dir, "rules"), params);
    stack = await startStack(
      {
        ports: FREE_PORTS,
        ruleFiles,
        scrapeInterval: DRILL_SCRAPE_INTERVAL,
        evaluationInterval: DRILL_EVALUATION_INTERVAL,
        alertmanagerTimings: { ...DRILL_ALERTMANAGER_TIMINGS },
        // Prometheus resends firing alerts once a minute by default: at the rules' pace it must
        // try (and, with Alertmanager gone, fail) every evaluation, as it does every minute at
        // production pace, where the 5m window holds several attempts.
        prometheusArgs: [`--rules.alert.resend-delay=${DRILL_EVALUATION_INTERVAL}`],
        logDir: path.join(dir, "logs"),
      },
      "native",
    );
    startedAt = Date.now();
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("delivers the Watchdog heartbeat to the watchdog receiver, and only there", async () => {
    const heartbeat = await waitFor(
      "the Watchdog at the webhook",
      () => delivered(stack, WATCHDOG_ALERT, "firing"),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    console.info(
      `self-monitoring: Watchdog delivered ${seconds(Date.parse(heartbeat.receivedAt) - startedAt)} after the stack was up`,
    );
    expect(heartbeat.receiver).toBe("watchdog");
    const elsewhere = (await notifications(stack)).filter(
      (n) => n.receiver !== "watchdog" && n.alerts.some((a) => a.labels.alertname === WATCHDOG_ALERT),
    );
    expect(elsewhere).toEqual([]);
  }, 90_000);

  it("fires the notification-failure alert while Alertmanager is down and delivers it once it is back", async () => {
    if (!notificationRule) throw new Error(`the rules have no ${NOTIFICATION_ALERT}`);
    // Errors fill the rate window, then `for` runs; the rest is slack for a busy machine.
    const fireWithinMs = 2 * parseDuration(params.rateWindow) + parseDuration(notificationRule.for) + 30_000;

    const stoppedAt = Date.now();
    await stack.stopComponent("alertmanager");
    await waitFor(
      `${NOTIFICATION_ALERT} firing in Prometheus`,
      async () =>
        (await prometheusAlerts(stack.urls.prometheus)).some(
          (a) => a.labels.alertname === NOTIFICATION_ALERT && a.state === "firing",
        ),
      { timeoutMs: fireWithinMs, intervalMs: 250 },
    );
    const firingAt = Date.now();
    expect(await delivered(stack, NOTIFICATION_ALERT, "firing")).toBeUndefined();

    await stack.startComponent("alertmanager");
    const restartedAt = Date.now();
    const notification = await waitFor(
      `${NOTIFICATION_ALERT} delivered after Alertmanager is back`,
      () => delivered(stack, NOTIFICATION_ALERT, "firing", restartedAt),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(notification.receiver).toBe(notificationRule.severity);
    expect(notification.alerts.find((a) => a.labels.alertname === NOTIFICATION_ALERT)?.labels).toMatchObject({
      service: "prometheus",
      severity: "ticket",
    });
    // Deliveries succeed again, so the failures leave the window and the alert resolves.
    const resolved = await waitFor(
      `${NOTIFICATION_ALERT} resolved`,
      () => delivered(stack, NOTIFICATION_ALERT, "resolved", restartedAt),
      { timeoutMs: 2 * parseDuration(params.rateWindow) + 30_000, intervalMs: 250 },
    );
    console.info(
      `self-monitoring: ${NOTIFICATION_ALERT} firing ${seconds(firingAt - stoppedAt)} after Alertmanager stopped, ` +
        `delivered ${seconds(Date.parse(notification.receivedAt) - restartedAt)} after it was back, ` +
        `resolved ${seconds(Date.parse(resolved.receivedAt) - restartedAt)} after`,
    );
  }, 180_000);
});
