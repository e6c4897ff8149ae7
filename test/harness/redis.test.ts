import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { type RedisProcess, redisCommand, startRedis } from "../../lib/harness/redis.js";
import { CONFIG_PATHS } from "../../lib/repo.js";

/** Reads one field of INFO over a raw socket (redisCommand returns only the first line). */
async function infoField(port: number, section: string, field: string): Promise<string | undefined> {
  const { createClient } = await import("redis");
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  await client.connect();
  try {
    const info = await client.info(section);
    return new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim();
  } finally {
    client.destroy();
  }
}

describe("startRedis with the project's config", () => {
  const started: RedisProcess[] = [];
  afterEach(async () => {
    for (const redis of started.splice(0)) await redis.stop();
  });

  it("runs from its own copy of redis.conf, so CONFIG REWRITE (Sentinel's REPLICAOF) never edits the repository's", async () => {
    const committed = await readFile(CONFIG_PATHS.redis, "utf8");
    const master = await startRedis({ projectConfig: true });
    started.push(master);
    const replica = await startRedis({ projectConfig: true });
    started.push(replica);

    const configFile = await infoField(replica.port, "server", "config_file");
    expect(configFile).toBeDefined();
    expect(configFile).not.toBe(CONFIG_PATHS.redis);
    expect(configFile?.startsWith(tmpdir())).toBe(true);

    // What Sentinel does to a node it reconfigures.
    expect(await redisCommand(replica.port, ["REPLICAOF", "127.0.0.1", String(master.port)])).toBe("+OK");
    expect(await redisCommand(replica.port, ["CONFIG", "REWRITE"])).toBe("+OK");
    expect(await readFile(configFile as string, "utf8")).toMatch(
      new RegExp(`^replicaof 127\\.0\\.0\\.1 ${master.port}$`, "m"),
    );
    expect(await readFile(CONFIG_PATHS.redis, "utf8")).toBe(committed);
  });

  it("keeps the rewritten copy across a kill and start, as a restarted server keeps its file", async () => {
    const master = await startRedis({ projectConfig: true });
    started.push(master);
    const replica = await startRedis({ projectConfig: true });
    started.push(replica);
    await redisCommand(replica.port, ["REPLICAOF", "127.0.0.1", String(master.port)]);
    await redisCommand(replica.port, ["CONFIG", "REWRITE"]);
    await replica.kill();
    await replica.start();
    expect(await infoField(replica.port, "replication", "role")).toBe("slave");
  });
});
