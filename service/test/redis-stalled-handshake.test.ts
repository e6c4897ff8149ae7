import { pbkdf2 } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { Relay } from "../../test/support/redis-relay.js";
import { startTestService, type TestService } from "../../test/support/service.js";

/**
 * Keeps libuv's thread pool (4 threads) busy, as file reads under load do: a host name lookup
 * queues behind the work, as it waits on Docker's DNS in compose, so a close reliably lands
 * while the handshake is being built. Returns the function that stops it.
 */
function busyThreadPool(): () => void {
  let running = true;
  const work = () => {
    if (running) pbkdf2("x", "y", 20_000, 32, "sha256", work);
  };
  for (let i = 0; i < 4; i++) work();
  return () => {
    running = false;
  };
}

async function cacheUp(t: TestService): Promise<number> {
  return sampleValue(await scrape(t.url), "mcp_resource_cache_up");
}

describe.each([
  ["never answers the handshake", "silent"],
  ["closes while the handshake is built", "refuse"],
] as const)("a reconnect through a proxy that %s (%s)", (_, mode) => {
  let redis: RedisProcess;
  let relay: Relay;
  let t: TestService;

  beforeAll(async () => {
    redis = await startRedis();
    relay = new Relay(redis.port);
    const url = await relay.listen();
    t = await startTestService({ REDIS_URL: url, LOG_LEVEL: "silent" }, redis);
  });

  afterAll(async () => {
    await t?.close();
    await relay?.close();
    await redis?.stop();
  });

  it("is given up and retried: the cache is up again once the proxy forwards", async () => {
    expect(await cacheUp(t)).toBe(1);
    relay.mode = mode;
    const idle = mode === "refuse" ? busyThreadPool() : () => {};
    relay.cutAll();
    await waitFor("cache_up 0", async () => (await cacheUp(t)) === 0, { timeoutMs: 5_000 });
    // Long enough for several reconnects to meet the proxy so (backoff starts at 25-50 ms).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    idle();
    relay.mode = "forward";
    const since = performance.now();
    await waitFor("cache_up back to 1 over a new connection", async () => (await cacheUp(t)) === 1, {
      timeoutMs: 15_000,
    });
    const took = performance.now() - since;
    console.info(`${mode}: cache up again ${Math.round(took)} ms after the proxy forwarded`);
    // The idle bound (5 s at the default 1 s health interval) plus a reconnect.
    expect(took).toBeLessThan(8_000);
  }, 30_000);
});
