/** Every drill by name, and which alerts each one rehearses (the runbook names them). */
import type { Drill, DrillName } from "./drill.js";
import { coldStart } from "./drills/cold-start.js";
import { errors } from "./drills/errors.js";
import { evictions } from "./drills/evictions.js";
import { redisDown } from "./drills/redis-down.js";
import { redisFrozen } from "./drills/redis-frozen.js";
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
