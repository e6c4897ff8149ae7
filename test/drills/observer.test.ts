/** When the drill runner counts an expected alert as over, on made-up deliveries (no stack). */
import { describe, expect, it } from "vitest";
import { AlertObserver, type Delivery } from "../../scripts/drills/observer.js";

const RESTORED = 10_000;
const delivery = (status: Delivery["status"], at: number): Delivery => ({
  alert: "RedisEvictingKeys",
  status,
  receiver: "ticket",
  at,
});

function observer(deliveries: Delivery[], prometheus?: "inactive" | "pending" | "firing"): AlertObserver {
  const o = new AlertObserver({ prometheus: "", alertmanager: "", alertWebhook: "" });
  o.deliveries.push(...deliveries);
  if (prometheus) o.prometheus.set("RedisEvictingKeys", prometheus);
  return o;
}

describe("AlertObserver.endedResolved", () => {
  it("is over when the resolution is delivered after the restore", () => {
    const o = observer([delivery("firing", 5_000), delivery("resolved", 12_000)], "inactive");
    expect(o.endedResolved("RedisEvictingKeys", RESTORED)).toBe(true);
  });

  it("is over when it flapped back to resolved during the fault and stays inactive", () => {
    const o = observer([delivery("firing", 5_000), delivery("resolved", 8_000)], "inactive");
    expect(o.endedResolved("RedisEvictingKeys", RESTORED)).toBe(true);
  });

  it("is not over while it is pending or firing again, or last delivered firing", () => {
    expect(
      observer([delivery("firing", 5_000), delivery("resolved", 8_000)], "pending").endedResolved(
        "RedisEvictingKeys",
        RESTORED,
      ),
    ).toBe(false);
    expect(
      observer([delivery("firing", 5_000)], "inactive").endedResolved("RedisEvictingKeys", RESTORED),
    ).toBe(false);
    expect(observer([], "inactive").endedResolved("RedisEvictingKeys", RESTORED)).toBe(false);
  });
});
