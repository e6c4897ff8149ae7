/** When the drill runner counts an expected alert as over, on made-up deliveries (no stack). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertObserver, type Delivery } from "../../infra/drills/observer.js";

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

describe("AlertObserver and the Watchdog", () => {
  // One fake endpoint for all three APIs: Prometheus' alerts, Alertmanager's, the webhook's list.
  const answers: Record<string, unknown> = {
    "/api/v1/alerts": {
      data: {
        alerts: [
          { labels: { alertname: "Watchdog" }, state: "firing", activeAt: new Date().toISOString() },
          { labels: { alertname: "ScrapeTargetDown" }, state: "firing", activeAt: new Date().toISOString() },
        ],
      },
    },
    "/api/v2/alerts": [],
    "/notifications": [
      {
        receivedAt: new Date().toISOString(),
        receiver: "watchdog",
        alerts: [{ status: "firing", labels: { alertname: "Watchdog" } }],
      },
      {
        receivedAt: new Date().toISOString(),
        receiver: "ticket",
        alerts: [{ status: "firing", labels: { alertname: "ScrapeTargetDown" } }],
      },
    ],
  };
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answers[new URL(req.url ?? "/", "http://x").pathname] ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("counts its deliveries as heartbeats, apart from the drill's alerts and off the timeline", async () => {
    const o = new AlertObserver({ prometheus: url, alertmanager: url, alertWebhook: url });
    await o.poll();
    expect(o.deliveries.map((d) => d.alert)).toEqual(["ScrapeTargetDown"]);
    expect(o.heartbeats).toEqual([expect.objectContaining({ alert: "Watchdog", receiver: "watchdog" })]);
    expect([...o.prometheus.keys()]).toEqual(["ScrapeTargetDown"]);
    expect(o.events.filter((e) => e.alert === "Watchdog")).toEqual([]);
  });
});
