import { DEFAULT_SERVICE_REPLICAS, REDIS_TOPOLOGIES, type RedisTopology } from "../../contract/stack.js";
import type { StackOptions } from "./types.js";

/** HAProxy's compose `server-template` has this many slots (infra/haproxy/haproxy.cfg). */
export const MAX_SERVICE_REPLICAS = 10;

/**
 * How many service replicas: the option, else SERVICE_REPLICAS, else the contract's default.
 * An integer from 1 to MAX_SERVICE_REPLICAS, or a clear error naming where it came from.
 */
export function serviceReplicas(options: StackOptions = {}, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SERVICE_REPLICAS;
  const [value, source] =
    options.replicas !== undefined
      ? [options.replicas, `replicas option ${options.replicas}`]
      : raw !== undefined && raw !== ""
        ? [/^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN, `SERVICE_REPLICAS=${raw}`]
        : [DEFAULT_SERVICE_REPLICAS, "default"];
  if (!Number.isInteger(value) || value < 1 || value > MAX_SERVICE_REPLICAS) {
    throw new Error(
      `${source}: service replicas must be an integer from 1 to ${MAX_SERVICE_REPLICAS} (HAProxy's server-template has ${MAX_SERVICE_REPLICAS} slots)`,
    );
  }
  return value;
}

/** Single Redis or Sentinel: the option, else REDIS_TOPOLOGY, else "single". */
export function redisTopology(
  options: StackOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): RedisTopology {
  const value = options.redisTopology ?? (env.REDIS_TOPOLOGY || "single");
  if (!(REDIS_TOPOLOGIES as readonly string[]).includes(value)) {
    throw new Error(`REDIS_TOPOLOGY=${value}: must be one of ${REDIS_TOPOLOGIES.join(", ")}`);
  }
  return value as RedisTopology;
}
