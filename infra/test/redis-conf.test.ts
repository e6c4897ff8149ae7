import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { CONFIG_PATHS } from "../../lib/repo.js";
import { run } from "../../test/support/exec.js";

describe("infra/redis/redis.conf", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis({ projectConfig: true });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const configGet = async (key: string) => {
    const result = await run("redis-cli", ["-p", String(redis.port), "--raw", "config", "get", key]);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.split("\n")[1] ?? "";
  };

  it("runs on redis-server 7.0 as a bounded, non-persistent LFU cache", async () => {
    expect(await configGet("maxmemory-policy")).toBe("allkeys-lfu");
    expect(await configGet("maxmemory")).toBe(String(256 * 1024 * 1024));
    expect(await configGet("save")).toBe("");
    expect(await configGet("appendonly")).toBe("no");
    expect(await configGet("latency-monitor-threshold")).toBe("5");
    expect(await configGet("lazyfree-lazy-eviction")).toBe("yes");
  });

  it("gives every setting a one-line why", async () => {
    const lines = (await readFile(CONFIG_PATHS.redis, "utf8")).split("\n");
    const directives = lines.map((line, i) => ({ line, i })).filter(({ line }) => /^[a-z]/.test(line));
    expect(directives.length).toBeGreaterThan(10);
    for (const { line, i } of directives) expect(lines[i - 1], line).toMatch(/^# \S/);
  });
});
