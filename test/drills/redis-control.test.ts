/**
 * The drills' own Redis client survives what a failover does to it behind HAProxy: its
 * connection cut, the reconnect held open with no answer (the dead master's address), or closed
 * at once while no node is master. The redis-failover drill hung on this client in compose.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisClientControl, tryCommand } from "../../infra/drills/redis-control.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { Relay } from "../support/redis-relay.js";

describe.each(["silent", "refuse"] as const)("redisClientControl behind a proxy that goes %s", (mode) => {
  let redis: RedisProcess;
  let relay: Relay;

  beforeAll(async () => {
    redis = await startRedis();
    relay = new Relay(redis.port);
  });

  afterAll(async () => {
    await relay?.close();
    await redis?.stop();
  });

  it("answers again once the proxy forwards, within the idle bound and a reconnect", async () => {
    const control = redisClientControl(await relay.listen());
    try {
      expect(await control.command("SET", "k", "v")).toBe("OK");
      relay.mode = mode;
      relay.cutAll();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await tryCommand(control, 500, "GET", "k")).toBeUndefined();
      relay.mode = "forward";
      const since = performance.now();
      let answer: string | undefined;
      while (answer === undefined && performance.now() - since < 15_000) {
        answer = await tryCommand(control, 1_000, "GET", "k");
        // As the drill polls: a refused command settles at once, and the I/O needs its turn.
        if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(answer).toBe("v");
      expect(performance.now() - since).toBeLessThan(8_000);
    } finally {
      await control.close();
    }
  }, 30_000);
});
