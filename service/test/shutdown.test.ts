import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("graceful shutdown", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  async function startProcess(
    port: number,
  ): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ["--import", "tsx", "service/src/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", REDIS_URL: redis.url, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await waitFor("service readiness", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 20_000,
    });
    return { child, exited };
  }

  it("finishes a request in flight on SIGTERM, refuses new connections, and exits 0", async () => {
    const port = await getFreePort();
    const { child, exited } = await startProcess(port);

    // A request whose headers are not complete yet is in flight from the server's view.
    const socket = connect({ host: "127.0.0.1", port });
    await new Promise((resolve) => socket.once("connect", resolve));
    let response = "";
    socket.on("data", (chunk) => {
      response += chunk.toString();
    });
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.write("GET /mcp/resources/templates/adr HTTP/1.1\r\nHost: localhost\r\n");
    await new Promise((r) => setTimeout(r, 100));

    const signalledAt = Date.now();
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    socket.write("\r\n");
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toContain('"uri":"sdlc://templates/adr"');

    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
  });

  it("exits 0 on SIGINT when idle", async () => {
    const port = await getFreePort();
    const { child, exited } = await startProcess(port);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
