import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { getFreePort, waitFor } from "./ports.js";

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** The server's process id while it runs (for SIGSTOP/SIGCONT outage tests). */
  readonly pid: number | undefined;
  /** Starts the server again on the same port (after stop/kill). */
  start(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL: the abrupt outage a cache client has to survive. */
  kill(): Promise<void>;
}

/** PING over a raw socket, so the helper does not depend on the client under test. */
export async function redisAnswers(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/**
 * Starts a throw-away `redis-server` on a free loopback port: no persistence, no config
 * file, nothing shared with a Redis that may already run on 6379.
 */
export async function startRedis(extraArgs: string[] = []): Promise<RedisProcess> {
  const port = await getFreePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
      { stdio: "ignore" },
    );
    await waitFor(`redis-server on ${port}`, () => redisAnswers(port), { timeoutMs: 10_000 });
  };
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once("exit", r));
    running.kill(signal);
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    start,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}
