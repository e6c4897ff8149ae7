/**
 * A redis-server running the project's infra/redis/redis.conf (unlike startRedis(), which
 * runs a bare server), on a free loopback port with its working dir in a temp directory.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONFIG_PATHS } from "../repo.js";
import { startDaemonIn } from "./daemon.js";
import { getFreePort } from "./ports.js";
import { redisAnswers } from "./redis.js";

export const REDIS_CONFIG = CONFIG_PATHS.redis;

export interface ConfiguredRedis {
  readonly port: number;
  /** The redis-server process (drills freeze it with SIGSTOP). */
  readonly pid: number | undefined;
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startConfiguredRedis(
  configPath = REDIS_CONFIG,
  port?: number,
): Promise<ConfiguredRedis> {
  port ||= await getFreePort();
  const dir = await mkdtemp(path.join(tmpdir(), "redis-"));
  // Command-line options override the file: loopback only, this port, scratch dir.
  const daemon = await startDaemonIn(dir, {
    name: "redis-server",
    command: "redis-server",
    args: [configPath, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
    ready: () => redisAnswers(port),
  });
  return {
    port,
    pid: daemon.pid,
    url: `redis://127.0.0.1:${port}`,
    output: daemon.output,
    stop: () => daemon.stop(),
  };
}
