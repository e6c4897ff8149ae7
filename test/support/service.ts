import { Writable } from "node:stream";
import { waitFor } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { loadConfig } from "../../service/src/config.js";
import { createLogger } from "../../service/src/logger.js";
import { type RunningService, startService } from "../../service/src/service.js";

export interface TestService {
  readonly service: RunningService;
  readonly url: string;
  readonly redis: RedisProcess;
  /** Every JSON log line the service wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * The real service, in-process, on a free loopback port, against its own real redis-server
 * (or one passed in). `env` holds the service's environment variables, as the process
 * would read them.
 */
export async function startTestService(
  env: Record<string, string> = {},
  existingRedis?: RedisProcess,
): Promise<TestService> {
  const redis = existingRedis ?? (await startRedis());
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    REDIS_URL: redis.url,
    LOG_LEVEL: "debug",
    ...env,
  });
  const service = await startService(config, createLogger(config.logLevel, sink));
  // The service starts without waiting for Redis (it must, to survive an outage); tests
  // that count hits want the connection up before the first request.
  await waitFor("the service's Redis connection", async () => {
    const readiness = (await (await fetch(`${service.url}/readyz`)).json()) as { checks: { cache: string } };
    return readiness.checks.cache === "ok";
  });
  return {
    service,
    url: service.url,
    redis,
    logs,
    async close() {
      await service.close();
      if (!existingRedis) await redis.stop();
    },
  };
}
