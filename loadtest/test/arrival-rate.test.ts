import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { constantArrivalRate } from "../src/engines/arrival-rate.js";

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A loopback server that answers after `delayMs` and notes when each request arrived. */
async function recordingServer(delayMs: number): Promise<{ url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  const listening = http.createServer((req, res) => {
    arrivals.push(performance.now());
    setTimeout(() => res.writeHead(req.url === "/bad" ? 503 : 200).end("ok"), delayMs);
  });
  server = listening;
  await new Promise<void>((r) => listening.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, arrivals };
}

describe("constantArrivalRate", () => {
  it("spaces arrivals evenly instead of bursting at each second", async () => {
    const { url, arrivals } = await recordingServer(0);
    const r = await constantArrivalRate({
      baseUrl: url,
      rate: 200,
      seconds: 2,
      maxInFlight: 50,
      headers: {},
      nextPath: () => "/",
    });
    expect(r.completed).toBe(400);
    expect(r.dropped).toBe(0);
    expect(r.failures).toEqual({});
    // 200/s is one request per 5 ms; a burst-per-second generator would put ~200 in the
    // first few ms of each second. Allow timer jitter: no 50 ms window holds more than 25.
    const first = arrivals[0] ?? 0;
    const windows = new Map<number, number>();
    for (const at of arrivals) {
      const w = Math.floor((at - first) / 50);
      windows.set(w, (windows.get(w) ?? 0) + 1);
    }
    expect(Math.max(...windows.values())).toBeLessThanOrEqual(25);
    expect(r.latency.p99).toBeGreaterThan(0);
  });

  it("sends a warm-up at the rate before recording, and says when recording starts", async () => {
    const { url, arrivals } = await recordingServer(0);
    const started = performance.now();
    const recordingStarts: number[] = [];
    const r = await constantArrivalRate({
      baseUrl: url,
      rate: 100,
      seconds: 1,
      warmupSeconds: 1,
      maxInFlight: 10,
      headers: {},
      nextPath: () => "/",
      onRecordingStart: () => recordingStarts.push(performance.now() - started),
    });
    expect(arrivals).toHaveLength(200);
    expect(r.completed).toBe(100);
    expect(recordingStarts).toHaveLength(1);
    expect(recordingStarts[0]).toBeGreaterThanOrEqual(990);
    expect(r.elapsedSeconds).toBeGreaterThan(0.9);
    expect(r.elapsedSeconds).toBeLessThan(1.5);
  });

  it("drops arrivals that find every connection busy, and counts bad statuses", async () => {
    const { url } = await recordingServer(100);
    let n = 0;
    const r = await constantArrivalRate({
      baseUrl: url,
      rate: 100,
      seconds: 1,
      // Two connections at 100 ms per response serve ~20 of the 100 arrivals.
      maxInFlight: 2,
      headers: {},
      nextPath: () => (n++ % 2 === 0 ? "/" : "/bad"),
    });
    expect(r.dropped).toBeGreaterThan(60);
    expect(r.completed + r.dropped).toBe(100);
    expect(r.failures["status 503"]).toBeGreaterThan(0);
    expect(r.latency.p50).toBeGreaterThanOrEqual(100_000);
  });
});
