import { type ChildProcess, spawn } from "node:child_process";
import { Agent, get as httpGet } from "node:http";
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
    env: Record<string, string> = {},
  ): Promise<{
    child: ChildProcess;
    exited: Promise<number | null>;
    logs: () => Array<Record<string, unknown>>;
  }> {
    const child = spawn(process.execPath, ["--import", "tsx", "service/src/main.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        REDIS_URL: redis.url,
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout?.on("data", (chunk) => {
      stdout += chunk.toString();
    });
    const logs = () =>
      stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await waitFor("service readiness", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 20_000,
    });
    return { child, exited, logs };
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

  it("closes busy keep-alive connections with Connection: close, never a reset", async () => {
    const port = await getFreePort();
    const { child, exited } = await startProcess(port);
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const failures: string[] = [];
    let answered = 0;
    let stopping = false;
    let refused = false;
    /** One client looping on its keep-alive connection until the service refuses it. */
    const client = async () => {
      while (!refused) {
        await new Promise<void>((resolve) => {
          const req = httpGet(
            { host: "127.0.0.1", port, path: "/mcp/resources/templates/prd", agent },
            (res) => {
              res.resume();
              res.on("end", () => {
                answered += 1;
                resolve();
              });
            },
          );
          req.on("error", (error: NodeJS.ErrnoException) => {
            // Refused: the listener is closed, which is how a stopped service looks. Anything
            // else (ECONNRESET, "socket hang up") is a request the shutdown broke.
            if (error.code === "ECONNREFUSED" && stopping) refused = true;
            else failures.push(`${error.code}: ${error.message}`);
            resolve();
          });
        });
      }
    };
    const clients = Array.from({ length: 20 }, client);
    await waitFor("load on every connection", async () => answered > 200);
    stopping = true;
    child.kill("SIGTERM");
    await Promise.all(clients);
    agent.destroy();
    expect(failures, "requests broken by the shutdown").toEqual([]);
    expect(await exited).toBe(0);
  });

  it("exits non-zero and logs it when the shutdown timeout had to cut requests", async () => {
    const port = await getFreePort();
    const { child, exited, logs } = await startProcess(port, { SHUTDOWN_TIMEOUT_MS: "300" });
    // Headers never completed: in flight from the server's view until the timeout cuts it.
    const socket = connect({ host: "127.0.0.1", port });
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.on("error", () => {});
    socket.write("GET /mcp/resources/templates/adr HTTP/1.1\r\nHost: localhost\r\n");
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    expect(await exited).toBe(3);
    socket.destroy();
    const cut = logs().find((line) => line.level === "error" && /cut/.test(String(line.msg)));
    expect(cut, JSON.stringify(logs())).toMatchObject({ cutConnections: 1 });
  });

  it("exits 0 on SIGINT when idle", async () => {
    const port = await getFreePort();
    const { child, exited } = await startProcess(port);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
