import { createClient } from "redis";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../lib/harness/ports.js";
import { startRedis } from "../../lib/harness/redis.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

/**
 * Cache health comes from Redis answering, not from its socket being open: a frozen Redis
 * (SIGSTOP), one busy in a long command (DEBUG SLEEP) and one refusing writes (maxmemory)
 * all keep the connection "ready" in node-redis's eyes.
 */

const ROUTES = ["/mcp/resources/sdlc/core", "/mcp/resources/templates/prd", "/mcp/resources/templates/adr"];

async function get(url: string): Promise<{ status: number; ms: number; cache: string | null }> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started, cache: response.headers.get("x-cache") };
}

async function readiness(t: TestService): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${t.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const cacheUp = async (t: TestService) => sampleValue(await scrape(t.url), "mcp_resource_cache_up");

const warnings = (t: TestService, pattern: RegExp) =>
  t.logs.filter((line) => line.level === "warn" && pattern.test(String(line.msg)));

/** Warm the keys: the in-process tier (on by default) then holds them. */
async function warm(t: TestService): Promise<void> {
  for (const route of ROUTES) await get(`${t.url}${route}`);
  await waitFor("hits from the in-process tier", async () => {
    for (const route of ROUTES) if ((await get(`${t.url}${route}`)).cache !== "HIT") return false;
    return true;
  });
}

/** While Redis does not answer: reported down, degraded, warned about, requests still fast. */
async function expectNotAnswering(t: TestService, errorsBefore: number): Promise<void> {
  await waitFor("mcp_resource_cache_up to drop to 0", async () => (await cacheUp(t)) === 0, {
    timeoutMs: 5_000,
  });
  const ready = await readiness(t);
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({
    status: "degraded",
    checks: { cache: "degraded", cacheState: "not_answering" },
  });
  expect(warnings(t, /not answering/).length, "a warning that Redis stopped answering").toBeGreaterThan(0);
  // The in-process tier cannot vouch for what it holds any more: lookups are misses and
  // count as cache errors, answered from disk without waiting on Redis.
  const during = [];
  for (const route of ROUTES) during.push(await get(`${t.url}${route}`));
  expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(during.map((r) => r.cache)).toEqual(["MISS", "MISS", "MISS"]);
  expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(500);
  const exposition = await scrape(t.url);
  expect(
    sampleValue(exposition, "mcp_resource_cache_errors_total", { operation: "get" }) - errorsBefore,
  ).toBeGreaterThanOrEqual(3);
  expect(
    sampleValue(exposition, "mcp_resource_local_cache_drops_total", { reason: "unresponsive" }),
  ).toBeGreaterThan(0);
  expect(sampleValue(exposition, "mcp_resource_local_cache_entries")).toBe(0);
}

async function expectRecovered(t: TestService): Promise<void> {
  await waitFor("mcp_resource_cache_up back to 1", async () => (await cacheUp(t)) === 1, {
    timeoutMs: 5_000,
  });
  expect((await readiness(t)).body).toMatchObject({ status: "ready", checks: { cacheState: "ok" } });
  expect(t.logs.some((line) => line.level === "info" && /answering again/.test(String(line.msg)))).toBe(true);
  await get(`${t.url}/mcp/resources/templates/prd`);
  await waitFor(
    "a hit after recovery",
    async () => (await get(`${t.url}/mcp/resources/templates/prd`)).cache === "HIT",
  );
}

describe("cache health from Redis answering", () => {
  it("reports a frozen Redis (SIGSTOP) as down, degraded and warned about, and recovers", async () => {
    const t = await startTestService({ LOG_LEVEL: "info", CACHE_HEALTH_INTERVAL_MS: "250" });
    const pid = t.redis.pid as number;
    try {
      await warm(t);
      const errorsBefore = sampleValue(await scrape(t.url), "mcp_resource_cache_errors_total", {
        operation: "get",
      });
      process.kill(pid, "SIGSTOP");
      try {
        await expectNotAnswering(t, errorsBefore);
      } finally {
        process.kill(pid, "SIGCONT");
      }
      await expectRecovered(t);
    } finally {
      await t.close();
    }
  });

  it("reports a Redis busy in DEBUG SLEEP the same way", async () => {
    const redis = await startRedis({ extraArgs: ["--enable-debug-command", "yes"] });
    const t = await startTestService({ LOG_LEVEL: "info", CACHE_HEALTH_INTERVAL_MS: "250" }, redis);
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      await warm(t);
      const errorsBefore = sampleValue(await scrape(t.url), "mcp_resource_cache_errors_total", {
        operation: "get",
      });
      const sleeping = admin.sendCommand(["DEBUG", "SLEEP", "4"]);
      await expectNotAnswering(t, errorsBefore);
      await sleeping;
      await expectRecovered(t);
    } finally {
      await admin.close();
      await t.close();
      await redis.stop();
    }
  });

  it("counts writes Redis refuses (maxmemory), warns, and reports the cache degraded until writes succeed", async () => {
    const t = await startTestService({ LOG_LEVEL: "info", CACHE_HEALTH_INTERVAL_MS: "250" });
    const admin = createClient({ url: t.redis.url });
    await admin.connect();
    try {
      const before = sampleValue(await scrape(t.url), "mcp_resource_cache_errors_total", {
        operation: "set",
      });
      await admin.configSet({ maxmemory: "1", "maxmemory-policy": "noeviction" });
      for (const route of ROUTES) expect((await get(`${t.url}${route}`)).status).toBe(200);
      await waitFor(
        "refused writes counted",
        async () =>
          sampleValue(await scrape(t.url), "mcp_resource_cache_errors_total", { operation: "set" }) -
            before >=
          ROUTES.length,
      );
      const refused = warnings(t, /writes/);
      expect(refused.length, "a warning about refused writes").toBeGreaterThan(0);
      expect(String(refused[0]?.err)).toMatch(/OOM|EXECABORT/);
      // Redis still answers: it is up, but the cache cannot fill, so readiness says degraded.
      expect(await cacheUp(t)).toBe(1);
      expect((await readiness(t)).body).toMatchObject({
        status: "degraded",
        checks: { cache: "degraded", cacheState: "writes_failing" },
      });
      // Rate-limited: more refused writes do not add a line each.
      for (let i = 0; i < 5; i++) await get(`${t.url}/mcp/resources/patterns/core?language=go&n=${i}`);
      expect(warnings(t, /writes/).length).toBe(refused.length);

      await admin.configSet({ maxmemory: "0" });
      await waitFor("a successful write", async () => {
        await get(`${t.url}/mcp/resources/patterns/errors?language=go`);
        return (await readiness(t)).body.status === "ready";
      });
    } finally {
      await admin.close();
      await t.close();
    }
  });
});
