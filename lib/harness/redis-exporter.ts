/**
 * Runs the real redis_exporter (prometheus-redis-exporter on Debian) against `redisUrl` on a
 * free loopback port. `address` is what a scrape target needs.
 */
import { findBinary } from "./binaries.js";
import { httpOk, startDaemon } from "./daemon.js";
import { getFreePort } from "./ports.js";

export interface RedisExporterProcess {
  readonly url: string;
  readonly address: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startRedisExporter(redisUrl: string, port?: number): Promise<RedisExporterProcess> {
  port ||= await getFreePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const daemon = await startDaemon({
    name: "redis_exporter",
    command: findBinary(["prometheus-redis-exporter", "redis_exporter"]),
    args: [`-redis.addr=${redisUrl}`, `-web.listen-address=${address}`],
    ready: () => httpOk(`${url}/metrics`),
  });
  return { url, address, output: daemon.output, stop: () => daemon.stop() };
}
