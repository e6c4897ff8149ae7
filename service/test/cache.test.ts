import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/harness/ports.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");

describe("Redis cache-aside", () => {
  let t: TestService;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "silent", CACHE_TTL_SECONDS: "300" });
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

  it("misses, fills the contract's key with the finished body and TTL, then hits", async () => {
    const first = await fetch(`${t.url}/mcp/resources/patterns/core?language=go`);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const firstBody = await first.text();
    await waitFor("cache fill", async () => (await redis.exists("resource:patterns:go:core")) === 1);

    expect(await redis.type("resource:patterns:go:core")).toBe("hash");
    const ttl = await redis.ttl("resource:patterns:go:core");
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    // The stored value is the exact response body: a hit sends it as it is.
    expect(await redis.hGet("resource:patterns:go:core", "body")).toBe(firstBody);
    expect(await redis.hGet("resource:patterns:go:core", "etag")).toBe(first.headers.get("etag"));

    const second = await fetch(`${t.url}/mcp/resources/patterns/core?language=go`);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.text()).toBe(firstBody);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
  });

  it("uses exactly the contract's keys for every resource type", async () => {
    await fetch(`${t.url}/mcp/resources/sdlc/core`);
    await fetch(`${t.url}/mcp/resources/patterns/testing?language=typescript`);
    await fetch(`${t.url}/mcp/resources/patterns/errors`);
    await fetch(`${t.url}/mcp/resources/templates/prd`);
    await fetch(`${t.url}/mcp/resources/templates`);
    const expected = [
      "resource:patterns:python:errors",
      "resource:patterns:typescript:testing",
      "resource:sdlc:core",
      "resource:templates:prd",
    ];
    await waitFor("all keys", async () => (await redis.keys("*")).length === expected.length);
    expect((await redis.keys("*")).sort()).toEqual(expected);
  });

  it("counts hits and misses per resource type", async () => {
    const before = await scrape(t.url);
    await fetch(`${t.url}/mcp/resources/templates/adr`);
    await waitFor("fill", async () => (await redis.exists("resource:templates:adr")) === 1);
    await fetch(`${t.url}/mcp/resources/templates/adr`);
    await fetch(`${t.url}/mcp/resources/templates/adr`);
    const after = await scrape(t.url);
    const delta = (name: string) =>
      sampleValue(after, name, { resource_type: "templates" }) -
      sampleValue(before, name, { resource_type: "templates" });
    expect(delta("mcp_resource_cache_misses_total")).toBe(1);
    expect(delta("mcp_resource_cache_hits_total")).toBe(2);
    expect(
      sampleValue(after, "mcp_resource_loading_latency_seconds_count", {
        resource_type: "templates",
        cache_result: "hit",
      }) -
        sampleValue(before, "mcp_resource_loading_latency_seconds_count", {
          resource_type: "templates",
          cache_result: "hit",
        }),
    ).toBe(2);
  });
});

describe("cache TTL", () => {
  it("expires entries after CACHE_TTL_SECONDS and refills from disk", async () => {
    const t = await startTestService({ LOG_LEVEL: "silent", CACHE_TTL_SECONDS: "1" });
    const redis = createClient({ url: t.redis.url });
    await redis.connect();
    try {
      await fetch(`${t.url}/mcp/resources/templates/hls`);
      await waitFor("fill", async () => (await redis.exists("resource:templates:hls")) === 1);
      expect(await redis.ttl("resource:templates:hls")).toBe(1);
      expect((await fetch(`${t.url}/mcp/resources/templates/hls`)).headers.get("x-cache")).toBe("HIT");
      await waitFor("expiry", async () => (await redis.exists("resource:templates:hls")) === 0, {
        timeoutMs: 5_000,
      });
      expect((await fetch(`${t.url}/mcp/resources/templates/hls`)).headers.get("x-cache")).toBe("MISS");
    } finally {
      await redis.close();
      await t.close();
    }
  });
});

describe("single-flight", () => {
  let contentDir: string;
  beforeAll(async () => {
    contentDir = await mkdtemp(path.join(tmpdir(), "content-"));
    await cp(CONTENT, contentDir, { recursive: true });
  });
  afterAll(async () => {
    await rm(contentDir, { recursive: true, force: true });
  });

  it("shares one disk read among concurrent misses of the same key", async () => {
    // A generous cache timeout: on a loaded machine a 50 ms lookup timeout would turn a late
    // request into a legitimate second miss-and-read, which is not what this test is about.
    const t = await startTestService({
      LOG_LEVEL: "silent",
      CONTENT_DIR: contentDir,
      CACHE_TIMEOUT_MS: "2000",
    });
    try {
      const before = sampleValue(await scrape(t.url), "mcp_resource_file_reads_total", {
        resource_type: "sdlc",
      });
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${t.url}/mcp/resources/sdlc/core`)),
      );
      const bodies = await Promise.all(responses.map((r) => r.text()));
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(new Set(bodies).size).toBe(1);
      const misses = responses.filter((r) => r.headers.get("x-cache") === "MISS").length;
      expect(misses).toBeGreaterThan(1);
      const reads =
        sampleValue(await scrape(t.url), "mcp_resource_file_reads_total", { resource_type: "sdlc" }) - before;
      expect(reads).toBe(1);
    } finally {
      await t.close();
    }
  });
});
