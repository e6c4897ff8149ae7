import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (this file is lib/repo.ts), for tools run from any directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Committed, hand-written configs (the generated ones are listed in infra/src/outputs.ts). */
export const CONFIG_PATHS = {
  prometheus: path.join(REPO_ROOT, "infra/prometheus/prometheus.yml"),
  alertmanager: path.join(REPO_ROOT, "infra/alertmanager/alertmanager.yml"),
  redis: path.join(REPO_ROOT, "infra/redis/redis.conf"),
} as const;
