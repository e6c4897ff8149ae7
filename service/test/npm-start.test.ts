import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Every live descendant of `pid` (children, grandchildren, ...), from /proc. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm start (the README's way to run just the service)", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("stops the service on SIGTERM to npm: no process left, port closed, exit 0 reported", async () => {
    const port = await getFreePort();
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", REDIS_URL: redis.url, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    for (const stream of [npm.stdout, npm.stderr])
      stream?.on("data", (chunk) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      npm.once("exit", (code, signal) => resolve({ code, signal })),
    );
    let service: number[] = [];
    try {
      // npm start builds first (prestart), then serves.
      await waitFor(
        "the service started by npm start",
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      service = await descendants(npm.pid as number);
      expect(service.length, "processes under npm").toBeGreaterThan(0);

      npm.kill("SIGTERM");
      const { code, signal } = await exited;
      // The service's own graceful exit, as npm reports it: not npm dying of the signal.
      expect.soft({ code, signal }, output).toEqual({ code: 0, signal: null });
      expect.soft(service.filter(alive), "processes left running after npm exited").toEqual([]);
      expect(await portOpen(port), "the port still accepts connections").toBe(false);
    } finally {
      npm.kill("SIGKILL");
      for (const pid of service.filter(alive)) process.kill(pid, "SIGKILL");
    }
  }, 120_000);
});
