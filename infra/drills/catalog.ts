/** Every drill by name, and which alerts each one rehearses (the runbook names them). */
import type { Drill, DrillName } from "./drill.js";
import { coldStart } from "./drills/cold-start.js";
import { errors } from "./drills/errors.js";
import { evictions } from "./drills/evictions.js";
import { redisDown } from "./drills/redis-down.js";
import { redisFailover } from "./drills/redis-failover.js";
import { redisFrozen } from "./drills/redis-frozen.js";
import { replicaDown } from "./drills/replica-down.js";
import { serviceDown } from "./drills/service-down.js";
import { slowDisk } from "./drills/slow-disk.js";
import { targetDown } from "./drills/target-down.js";

/** Factories: a drill keeps state between inject and restore, so each run gets a fresh one. */
export const DRILLS: Readonly<Record<DrillName, () => Drill>> = {
  "redis-down": redisDown,
  "redis-frozen": redisFrozen,
  "slow-disk": slowDisk,
  evictions,
  errors,
  "service-down": serviceDown,
  "cold-start": coldStart,
  "target-down": targetDown,
  "replica-down": replicaDown,
  "redis-failover": redisFailover,
};

/** Alert -> the drills that prove it fires (delivered, or firing and inhibited as designed). */
export function rehearsals(): Map<string, DrillName[]> {
  const out = new Map<string, DrillName[]>();
  for (const create of Object.values(DRILLS)) {
    const drill = create();
    for (const alert of [...drill.expect, ...(drill.inhibited ?? []).map((i) => i.alert)]) {
      out.set(alert, [...(out.get(alert) ?? []), drill.name]);
    }
  }
  return out;
}

/** The whole-stack test that proves the alerting pipeline watches itself. */
export const SELF_MONITORING_PROOF = "test/stack/self-monitoring.test.ts";
const PROMTOOL_ONLY = "promtool unit tests only";

/**
 * Alerts no drill rehearses, and what proves them instead. Drills inject faults into the
 * service's path under load and need the monitoring healthy to judge them; these alerts watch
 * the monitoring itself, or need faults a drill cannot make safely on a shared machine (a
 * full disk, a corrupt TSDB block, a broken config file).
 */
export const NOT_DRILLED: Readonly<Record<string, string>> = {
  Watchdog: `${SELF_MONITORING_PROOF}: delivered to the watchdog receiver`,
  PrometheusErrorSendingAlertsToAnyAlertmanager: `${SELF_MONITORING_PROOF}: Alertmanager stopped, then started; delivered once it is back`,
  PrometheusRuleFailures: PROMTOOL_ONLY,
  PrometheusBadConfig: PROMTOOL_ONLY,
  PrometheusNotConnectedToAlertmanagers: PROMTOOL_ONLY,
  PrometheusTSDBCompactionsFailing: PROMTOOL_ONLY,
  PrometheusTSDBReloadsFailing: PROMTOOL_ONLY,
  PrometheusScrapeSampleLimitHit: PROMTOOL_ONLY,
  AlertmanagerFailedReload: PROMTOOL_ONLY,
  AlertmanagerFailedToSendAlerts: PROMTOOL_ONLY,
  ResourceCacheWritesFailing: PROMTOOL_ONLY,
};
