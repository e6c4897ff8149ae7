import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resourceRef } from "../../lib/contract/resource-kinds.js";
import { waitFor } from "../../lib/harness/ports.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";
import { entryFields } from "../src/cache-entry.js";
import { LocalTier } from "../src/local-tier.js";
import type { LocalDropReason } from "../src/metric-labels.js";
import type { BodyEntry } from "../src/resource-body.js";
import { buildBodyEntry } from "../src/resource-body.js";

/** Reads Redis counts itself as hits (INFO stats): what the in-process tier spares it. */
async function redisKeyspaceHits(redis: ReturnType<typeof createClient>): Promise<number> {
  return Number(/keyspace_hits:(\d+)/.exec(await redis.info("stats"))?.[1]);
}

function entry(text: string, size = text.length): BodyEntry {
  return { etag: `"${text}"`, identity: Buffer.alloc(size, text) };
}

describe("LocalTier", () => {
  function tier(maxBytes = 1_000, maxAgeMs = 60_000) {
    let now = 0;
    const drops: Array<[LocalDropReason, number]> = [];
    const local = new LocalTier({
      maxBytes,
      maxAgeMs,
      now: () => now,
      onDrop: (reason, count) => drops.push([reason, count]),
    });
    return { local, drops, advance: (ms: number) => (now += ms) };
  }

  it("refuses a reply when its key was invalidated after the read went out", () => {
    const { local } = tier();
    const ticket = local.ticket();
    local.invalidate("k");
    expect(local.offer("k", entry("a"), ticket)).toBe(false);
    expect(local.get("k")).toBeUndefined();
    // Another key's invalidation does not taint this one; a fresh read is kept.
    const fresh = local.ticket();
    local.invalidate("other");
    expect(local.offer("k", entry("b"), fresh)).toBe(true);
    expect(local.get("k")?.etag).toBe('"b"');
  });

  it("refuses every in-flight reply after a flush or a disconnect", () => {
    const { local } = tier();
    const beforeFlush = local.ticket();
    local.invalidate(null);
    expect(local.offer("k", entry("a"), beforeFlush)).toBe(false);
    const beforeDisconnect = local.ticket();
    local.disconnected();
    expect(local.offer("k", entry("a"), beforeDisconnect)).toBe(false);
  });

  it("drops invalidated entries and counts why", () => {
    const { local, drops } = tier();
    local.offer("a", entry("a"), local.ticket());
    local.offer("b", entry("b"), local.ticket());
    local.invalidate("a");
    expect(local.get("a")).toBeUndefined();
    expect(local.get("b")).toBeDefined();
    local.disconnected();
    expect(local.size).toBe(0);
    expect(local.bytes).toBe(0);
    expect(drops).toEqual([
      ["invalidated", 1],
      ["disconnected", 1],
    ]);
  });

  it("keeps within its byte budget, least recently used out first", () => {
    const { local, drops } = tier(100);
    local.offer("a", entry("a", 37), local.ticket()); // 40 bytes with the etag
    local.offer("b", entry("b", 37), local.ticket());
    local.get("a"); // b is now the least recently used
    local.offer("c", entry("c", 37), local.ticket());
    expect(local.get("b")).toBeUndefined();
    expect(local.get("a")).toBeDefined();
    expect(local.get("c")).toBeDefined();
    expect(local.bytes).toBe(80);
    expect(drops).toEqual([["capacity", 1]]);
    // An entry larger than the whole budget is not kept (and evicts nothing).
    expect(local.offer("huge", entry("h", 200), local.ticket())).toBe(false);
    expect(local.size).toBe(2);
  });

  it("never serves an entry older than maxAgeMs", () => {
    const { local, drops, advance } = tier(1_000, 5_000);
    local.offer("a", entry("a"), local.ticket());
    advance(4_999);
    expect(local.get("a")).toBeDefined();
    advance(1);
    expect(local.get("a")).toBeUndefined();
    expect(drops).toEqual([["age", 1]]);
  });
});

describe("in-process tier against a real Redis (RESP3 tracking)", () => {
  const URL_PATH = "/mcp/resources/templates/adr";
  const KEY = "resource:templates:adr";
  let t: TestService;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "silent" });
    redis = createClient({ url: t.redis.url });
    await redis.connect();
  });
  afterEach(async () => {
    await redis.flushAll();
  });
  afterAll(async () => {
    await redis.close();
    await t.close();
  });

  const local = async (result: "hit" | "miss") =>
    sampleValue(await scrape(t.url), "mcp_resource_local_cache_lookups_total", { result });
  const keyspaceHits = () => redisKeyspaceHits(redis);

  async function warm(): Promise<void> {
    // The previous test's FLUSHALL reaches the service as an invalidation push, which may
    // land just after this request: then the request is a (last) local hit and fills nothing.
    await waitFor("fill", async () => {
      await (await fetch(`${t.url}${URL_PATH}`)).arrayBuffer();
      return (await redis.exists(KEY)) === 1;
    });
    await waitFor(
      "the filled entry in the tier",
      async () => sampleValue(await scrape(t.url), "mcp_resource_local_cache_entries") === 1,
    );
  }

  it("puts a fill straight into the tier: the next request is a local hit Redis never sees", async () => {
    await warm();
    const [localBefore, redisBefore] = [await local("hit"), await keyspaceHits()];
    const response = await fetch(`${t.url}${URL_PATH}`);
    expect(response.headers.get("x-cache")).toBe("HIT");
    await response.arrayBuffer();
    expect((await local("hit")) - localBefore).toBe(1);
    expect((await keyspaceHits()) - redisBefore, "Redis saw no read of the filled key").toBe(0);
  });

  it("answers repeat hits without a Redis round trip, still counted as cache hits", async () => {
    await warm();
    const [localBefore, redisBefore] = [await local("hit"), await keyspaceHits()];
    const hitsBefore = sampleValue(await scrape(t.url), "mcp_resource_cache_hits_total", {
      resource_type: "templates",
    });
    for (const encoding of ["identity", "gzip", "br"]) {
      const response = await fetch(`${t.url}${URL_PATH}`, { headers: { "accept-encoding": encoding } });
      expect(response.headers.get("x-cache")).toBe("HIT");
      await response.arrayBuffer();
    }
    const after = await scrape(t.url);
    expect((await local("hit")) - localBefore).toBe(3);
    expect(
      sampleValue(after, "mcp_resource_cache_hits_total", { resource_type: "templates" }) - hitsBefore,
    ).toBe(3);
    expect((await keyspaceHits()) - redisBefore, "Redis saw none of the three reads").toBe(0);
    expect(sampleValue(after, "mcp_resource_local_cache_entries")).toBe(1);
    expect(sampleValue(after, "mcp_resource_local_cache_bytes")).toBeGreaterThan(1_000);
  });

  it("sees a write made by another client as soon as Redis invalidates it", async () => {
    await warm();
    const drops = sampleValue(await scrape(t.url), "mcp_resource_local_cache_drops_total", {
      reason: "invalidated",
    });
    // Another instance refilled the key with a different body (a valid entry: a value that
    // does not verify is refused and overwritten, see cache-poisoning.test.ts).
    const changed = await buildBodyEntry(
      resourceRef("templates", ["adr"]),
      "changed by another instance",
      10_240,
    );
    await redis.multi().del(KEY).hSet(KEY, entryFields(changed)).expire(KEY, 300).exec();
    await waitFor("the next response to carry the new body", async () => {
      const response = await fetch(`${t.url}${URL_PATH}`);
      return (
        (await response.text()) === changed.identity.toString() &&
        response.headers.get("etag") === changed.etag
      );
    });
    expect(
      sampleValue(await scrape(t.url), "mcp_resource_local_cache_drops_total", { reason: "invalidated" }),
    ).toBeGreaterThan(drops);
  });

  it("holds nothing Redis does not: a deleted key is a miss again", async () => {
    await warm();
    await redis.del(KEY);
    await waitFor("a miss after the delete", async () => {
      const response = await fetch(`${t.url}${URL_PATH}`);
      await response.arrayBuffer();
      return response.headers.get("x-cache") === "MISS";
    });
  });

  it("drops everything when the Redis connection is lost, and fills again after", async () => {
    const own = await startTestService({ LOG_LEVEL: "silent" });
    try {
      await fetch(`${own.url}${URL_PATH}`);
      await fetch(`${own.url}${URL_PATH}`);
      const held = sampleValue(await scrape(own.url), "mcp_resource_local_cache_entries");
      expect(held).toBe(1);
      await own.redis.kill();
      await waitFor("the tier to empty", async () => {
        const response = await fetch(`${own.url}${URL_PATH}`);
        await response.arrayBuffer();
        return response.headers.get("x-cache") === "MISS";
      });
      const down = await scrape(own.url);
      expect(sampleValue(down, "mcp_resource_local_cache_entries")).toBe(0);
      expect(
        sampleValue(down, "mcp_resource_local_cache_drops_total", { reason: "disconnected" }),
      ).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
  });
});

describe("LOCAL_CACHE_MAX_MB=0", () => {
  it("turns the tier off: every hit is a Redis read, and its series are not exposed", async () => {
    const t = await startTestService({ LOG_LEVEL: "silent", LOCAL_CACHE_MAX_MB: "0" });
    const redis = createClient({ url: t.redis.url });
    await redis.connect();
    try {
      await fetch(`${t.url}/mcp/resources/sdlc/core`);
      await waitFor("fill", async () => (await redis.exists("resource:sdlc:core")) === 1);
      const before = await redisKeyspaceHits(redis);
      for (let i = 0; i < 3; i++) await (await fetch(`${t.url}/mcp/resources/sdlc/core`)).arrayBuffer();
      const after = await redisKeyspaceHits(redis);
      // Each read is an HMGET and a PTTL (its TTL is verified), both keyspace hits.
      expect(after - before).toBe(3 * 2);
      const text = await (await fetch(`${t.url}/metrics`)).text();
      expect(text).not.toContain("mcp_resource_local_cache");
    } finally {
      await redis.close();
      await t.close();
    }
  });
});
