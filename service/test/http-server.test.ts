import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/harness/ports.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

/** A raw connection to the service, with everything it received and when it closed. */
async function openSocket(
  url: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  let data = "";
  socket.on("data", (chunk) => {
    data += chunk.toString();
  });
  socket.on("error", () => {});
  const opened = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once("close", () => resolve(performance.now() - opened)),
  );
  await new Promise((resolve) => socket.once("connect", resolve));
  return { socket, received: () => data, closed };
}

/** Resolves with the close time, or with `undefined` if the socket is still open after `ms`. */
async function closedWithin(closed: Promise<number>, ms: number): Promise<number | undefined> {
  return await Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
}

describe("HTTP server limits", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({
      LOG_LEVEL: "silent",
      HTTP_HEADERS_TIMEOUT_MS: "1000",
      HTTP_REQUEST_TIMEOUT_MS: "2000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "3000",
      HTTP_MAX_CONNECTIONS: "20",
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it("applies the configured timeouts and connection cap to the listening server", () => {
    const { server } = t.service;
    expect(server.headersTimeout).toBe(1000);
    expect(server.requestTimeout).toBe(2000);
    expect(server.keepAliveTimeout).toBe(3000);
    expect(server.maxConnections).toBe(20);
  });

  it("closes a connection whose request headers never complete (slowloris) after HTTP_HEADERS_TIMEOUT_MS", async () => {
    const { socket, received, closed } = await openSocket(t.url);
    socket.write("GET /mcp/resources/templates/prd HTTP/1.1\r\nHost: localhost\r\n");
    // Node checks the timeouts once a second (connectionsCheckingInterval), so allow for that.
    const after = await closedWithin(closed, 4_000);
    socket.destroy();
    expect(after, "the half-sent request was still open after 4 s").toBeDefined();
    expect(after).toBeGreaterThanOrEqual(900);
    expect(received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it("closes a connection whose request body never arrives after HTTP_REQUEST_TIMEOUT_MS", async () => {
    const { socket, closed } = await openSocket(t.url);
    socket.write(
      "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
        "Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{",
    );
    const after = await closedWithin(closed, 5_000);
    socket.destroy();
    expect(after, "the stalled body was still open after 5 s").toBeDefined();
    expect(after).toBeGreaterThanOrEqual(1_900);
  });
});

describe("HTTP_MAX_CONNECTIONS", () => {
  it("drops connections beyond the cap and counts them", async () => {
    const t = await startTestService({ LOG_LEVEL: "silent", HTTP_MAX_CONNECTIONS: "2" });
    const held: Socket[] = [];
    const { server } = t.service;
    const open = () => new Promise<number>((resolve) => server.getConnections((_e, count) => resolve(count)));
    try {
      // The keep-alive connection fetch() kept from startup would count against the cap.
      server.closeIdleConnections();
      await waitFor("no open connections", async () => (await open()) === 0);
      for (let i = 0; i < 2; i++) held.push((await openSocket(t.url)).socket);
      const third = await openSocket(t.url);
      third.socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
      expect(await closedWithin(third.closed, 2_000), "the third connection was served").toBeDefined();
      expect(third.received()).toBe("");
      for (const socket of held) socket.destroy();
      // With the held ones gone there is room again (the scrape itself is a connection).
      await waitFor("the held connections to close", async () => (await open()) === 0);
      const exposition = await scrape(t.url);
      expect(sampleValue(exposition, "mcp_resource_http_connections_dropped_total")).toBe(1);
    } finally {
      for (const socket of held) socket.destroy();
      await t.close();
    }
  });
});
