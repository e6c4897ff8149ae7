import { describe, expect, it } from "vitest";
import { expiringValue } from "../src/expiring-value.js";

/** A build the test finishes by hand, counting how often it was started. */
function controlledBuilds() {
  const pending: Array<{ resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  let started = 0;
  const build = () =>
    new Promise<number>((resolve, reject) => {
      started += 1;
      pending.push({ resolve, reject });
    });
  return {
    build,
    get started() {
      return started;
    },
    finish: (value: number) => pending.shift()?.resolve(value),
    fail: (message: string) => pending.shift()?.reject(new Error(message)),
  };
}

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("expiringValue", () => {
  function source(ttlMs = 1_000, staleMs = 1_000) {
    let now = 0;
    const builds = controlledBuilds();
    const value = expiringValue(builds.build, { ttlMs, staleMs, now: () => now });
    return { value, builds, advance: (ms: number) => (now += ms) };
  }

  it("makes the first callers wait for one shared build", async () => {
    const { value, builds } = source();
    const a = value.get();
    const b = value.get();
    expect(builds.started).toBe(1);
    expect(await settled(a)).toBe(false);
    builds.finish(1);
    expect([await a, await b]).toEqual([1, 1]);
  });

  it("answers from the last build while one rebuild runs, once the value is past its TTL", async () => {
    const { value, builds, advance } = source();
    const first = value.get();
    builds.finish(1);
    await first;
    advance(1_000);
    // Past the TTL but within the stale window: no caller waits for the rebuild.
    const during = [value.get(), value.get()];
    expect(builds.started).toBe(2);
    for (const p of during) expect(await settled(p)).toBe(true);
    expect(await Promise.all(during)).toEqual([1, 1]);
    builds.finish(2);
    await new Promise((r) => setImmediate(r));
    expect(await value.get()).toBe(2);
    expect(builds.started).toBe(2);
  });

  it("waits for the rebuild when the last build is older than TTL + stale window", async () => {
    const { value, builds, advance } = source();
    const first = value.get();
    builds.finish(1);
    await first;
    advance(2_000);
    const later = value.get();
    expect(await settled(later)).toBe(false);
    builds.finish(2);
    expect(await later).toBe(2);
  });

  it("keeps serving the last value when a rebuild fails, and tries again on the next call", async () => {
    const { value, builds, advance } = source();
    const first = value.get();
    builds.finish(1);
    await first;
    advance(1_000);
    expect(await value.get()).toBe(1);
    builds.fail("disk gone");
    await new Promise((r) => setImmediate(r));
    expect(await value.get()).toBe(1);
    expect(builds.started).toBe(3);
    builds.finish(3);
    await new Promise((r) => setImmediate(r));
    expect(await value.get()).toBe(3);
  });

  it("does not keep a failed first build: the next caller builds again", async () => {
    const { value, builds } = source();
    const first = value.get();
    builds.fail("not yet");
    await expect(first).rejects.toThrow("not yet");
    const second = value.get();
    expect(builds.started).toBe(2);
    builds.finish(2);
    expect(await second).toBe(2);
  });

  it("counts the TTL from when a build is ready, not when it started", async () => {
    const { value, builds, advance } = source();
    const first = value.get();
    advance(5_000);
    builds.finish(1);
    await first;
    advance(999);
    expect(await value.get()).toBe(1);
    expect(builds.started).toBe(1);
  });
});
