import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/harness/ports.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");
const HUGE_BYTES = 24 * 1024 * 1024;

/**
 * One very large content file must not take the cache down with it: its Redis read outlives
 * the lookup timeout (so it is a miss anyway) and, on the one shared connection, every key
 * read behind it waits too. Entries over CACHE_MAX_ENTRY_BYTES are not stored in Redis.
 */
describe("entries larger than CACHE_MAX_ENTRY_BYTES", () => {
  let dir: string;
  let t: TestService;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "content-"));
    await cp(CONTENT, dir, { recursive: true });
    const line = "A line of a very large template, repeated until the file is tens of megabytes.\n";
    await writeFile(path.join(dir, "templates", "huge.md"), line.repeat(Math.ceil(HUGE_BYTES / line.length)));
    // Without the in-process tier every hit is a Redis read on the shared connection.
    t = await startTestService({ LOG_LEVEL: "info", CONTENT_DIR: dir, LOCAL_CACHE_MAX_MB: "0" });
    redis = createClient({ url: t.redis.url });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves a huge file without storing it in Redis, counts and logs the skip", async () => {
    await redis.hSet("resource:templates:huge", { etag: '"stale"', body: "an older, smaller value" });
    const response = await fetch(`${t.url}/mcp/resources/templates/huge`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { contents: Array<{ text: string }> };
    expect(body.contents[0]?.text.length).toBeGreaterThanOrEqual(HUGE_BYTES);
    // Not stored, and what an earlier version of the file left there is gone.
    await waitFor(
      "the stale value removed",
      async () => (await redis.exists("resource:templates:huge")) === 0,
    );
    const exposition = await scrape(t.url);
    expect(sampleValue(exposition, "mcp_resource_cache_writes_skipped_total", { reason: "too_large" })).toBe(
      1,
    );
    expect(sampleValue(exposition, "mcp_resource_cache_errors_total", { operation: "set" })).toBe(0);
    expect(
      t.logs.some(
        (line) =>
          line.level === "warn" &&
          line.key === "resource:templates:huge" &&
          /too large/.test(String(line.msg)),
      ),
    ).toBe(true);
  });

  it("keeps small keys hits while the huge file is requested", async () => {
    const small = [
      "/mcp/resources/templates/prd",
      "/mcp/resources/sdlc/core",
      "/mcp/resources/patterns/core",
    ];
    for (const route of small) await (await fetch(`${t.url}${route}`)).arrayBuffer();
    await waitFor(
      "small keys cached",
      async () => (await redis.exists(["resource:templates:prd", "resource:sdlc:core"])) === 2,
    );

    let hugeDone = false;
    const huge = (async () => {
      for (let i = 0; i < 6; i++) await (await fetch(`${t.url}/mcp/resources/templates/huge`)).arrayBuffer();
      hugeDone = true;
    })();
    const results: string[] = [];
    while (!hugeDone) {
      for (const route of small) {
        const response = await fetch(`${t.url}${route}`);
        await response.arrayBuffer();
        results.push(String(response.headers.get("x-cache")));
      }
    }
    await huge;
    const misses = results.filter((r) => r !== "HIT").length;
    expect(misses, `${misses} of ${results.length} small-key lookups missed`).toBe(0);
  });
});
