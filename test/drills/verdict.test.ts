/** The rules by which a drill passes or fails, on made-up observations (no stack). */
import { describe, expect, it } from "vitest";
import type { Delivery } from "../../infra/drills/observer.js";
import { judge, type VerdictInput } from "../../infra/drills/verdict.js";

const T0 = 1_000_000;
const at = (s: number) => T0 + s * 1000;
const firing = (alert: string, s: number, receiver = "ticket"): Delivery => ({
  alert,
  status: "firing",
  receiver,
  at: at(s),
});
const resolved = (alert: string, s: number, receiver = "ticket"): Delivery => ({
  alert,
  status: "resolved",
  receiver,
  at: at(s),
});

function input(overrides: Partial<VerdictInput>): VerdictInput {
  return {
    drill: {
      expect: ["ResourceCacheUnavailable"],
      inhibited: [{ alert: "ResourceCacheHitRateLow", by: "ResourceCacheUnavailable" }],
      allowed: [],
    },
    preexisting: new Set(),
    deliveries: [firing("ResourceCacheUnavailable", 3), resolved("ResourceCacheUnavailable", 20)],
    everSuppressed: new Map([["ResourceCacheHitRateLow", ["ResourceCacheUnavailable"]]]),
    restoredAt: at(17),
    severities: new Map([
      ["ResourceCacheUnavailable", "ticket"],
      ["ResourceServiceDown", "page"],
    ]),
    ...overrides,
  };
}

describe("a drill's verdict", () => {
  it("passes when the expected alert fired and resolved and the inhibited one was held back", () => {
    expect(judge(input({})).failures).toEqual([]);
  });

  it("fails when the expected alert never arrived, or never resolved", () => {
    expect(judge(input({ deliveries: [] })).failures).toEqual([
      "ResourceCacheUnavailable was never delivered firing to the webhook",
    ]);
    expect(judge(input({ deliveries: [firing("ResourceCacheUnavailable", 3)] })).failures).toEqual([
      "ResourceCacheUnavailable fired but its resolution was never delivered",
    ]);
  });

  it("fails when an alert reaches the wrong receiver for its severity", () => {
    const v = judge(
      input({
        drill: { expect: ["ResourceServiceDown"] },
        deliveries: [
          firing("ResourceServiceDown", 2, "ticket"),
          resolved("ResourceServiceDown", 9, "ticket"),
        ],
      }),
    );
    expect(v.failures).toEqual([
      'ResourceServiceDown reached receiver "ticket", its severity routes it to "page"',
    ]);
  });

  it("fails when the inhibition was never exercised, or did not hold while the fault lasted", () => {
    expect(judge(input({ everSuppressed: new Map() })).failures).toEqual([
      "ResourceCacheHitRateLow was never seen firing and suppressed by ResourceCacheUnavailable (inhibition not exercised)",
    ]);
    const leaked = judge(
      input({ deliveries: [...input({}).deliveries, firing("ResourceCacheHitRateLow", 12)] }),
    );
    expect(leaked.failures).toEqual([
      "ResourceCacheHitRateLow was delivered while the fault lasted: ResourceCacheUnavailable did not inhibit it",
    ]);
  });

  it("accepts an inhibited alert delivered after the fault is gone, and says so", () => {
    const v = judge(input({ deliveries: [...input({}).deliveries, firing("ResourceCacheHitRateLow", 18)] }));
    expect(v.failures).toEqual([]);
    expect(v.notes[0]).toMatch(/delivered after the fault was removed/);
  });

  it("fails on any other alert delivered, unless allowed or already active before the fault", () => {
    const stray = { deliveries: [...input({}).deliveries, firing("RedisEvictingKeys", 5)] };
    expect(judge(input(stray)).failures).toEqual(["unexpected alert delivered: RedisEvictingKeys"]);
    expect(judge(input({ ...stray, preexisting: new Set(["RedisEvictingKeys"]) })).failures).toEqual([]);
    const allowed = judge(
      input({
        ...stray,
        drill: { ...input({}).drill, allowed: [{ alert: "RedisEvictingKeys", why: "test" }] },
      }),
    );
    expect(allowed.failures).toEqual([]);
    expect(allowed.notes).toContain("RedisEvictingKeys fired too (allowed: test)");
  });

  it("takes the Watchdog heartbeat for background: neither unexpected nor noted as pre-existing", () => {
    const v = judge(
      input({
        deliveries: [
          firing("Watchdog", -4, "watchdog"),
          ...input({}).deliveries,
          firing("Watchdog", 9, "watchdog"),
        ],
        preexisting: new Set(["Watchdog"]),
      }),
    );
    expect(v.failures).toEqual([]);
    expect(v.notes.filter((n) => n.includes("Watchdog"))).toEqual([]);
  });

  it("counts an inhibited alert delivered before any restore as leaked (drill aborted midway)", () => {
    const v = judge(
      input({ restoredAt: 0, deliveries: [...input({}).deliveries, firing("ResourceCacheHitRateLow", 40)] }),
    );
    expect(v.failures.some((f) => f.includes("did not inhibit"))).toBe(true);
  });
});
