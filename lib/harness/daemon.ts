import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";

/** A supervised child process that serves something (Prometheus, Alertmanager, an exporter). */
export interface Daemon {
  readonly name: string;
  readonly pid: number | undefined;
  /** The last 64 KB of its stdout and stderr, for failure messages. */
  output(): string;
  /** SIGCONT and SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** The child's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Also append all output to this file (the native stack keeps per-component logs). */
  readonly logFile?: string;
  /** Resolves true once the daemon serves (e.g. its /-/ready answers 200). */
  readonly ready: () => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

const OUTPUT_LIMIT = 64 * 1024;

async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // A frozen (SIGSTOP) daemon cannot act on SIGTERM until it is resumed.
  child.kill("SIGCONT");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Spawns a daemon and waits until it is ready. Fails fast, with the daemon's own output,
 * when it exits during startup (bad config, port taken) instead of waiting for the timeout.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    log?.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exitError: Error | undefined;
  child.once("error", (error) => {
    exitError = error;
  });
  child.once("exit", (code, signal) => {
    exitError ??= new Error(`${options.name} exited (code ${code}, signal ${signal})`);
  });

  const daemon: Daemon = {
    name: options.name,
    pid: child.pid,
    output: () => output,
    stop: (graceMs = 5_000) => terminate(child, graceMs),
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let failure: Error | undefined;
  while (!failure) {
    if (exitError) failure = exitError;
    else if (await options.ready()) break;
    else if (Date.now() > deadline)
      failure = new Error(`timed out waiting for ${options.name} to become ready`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (failure) {
    await daemon.stop(1_000);
    throw new Error(`${failure.message}\n--- ${options.name} output ---\n${output.slice(-4_000)}`);
  }
  return daemon;
}

/** True when GET `url` answers 2xx within a second. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * startDaemon() for a daemon that lives in a scratch directory (config, TSDB, dump files):
 * the directory is removed when startup fails and after the daemon stops.
 */
export async function startDaemonIn(dir: string, options: DaemonOptions): Promise<Daemon> {
  const removeDir = () => rm(dir, { recursive: true, force: true });
  let daemon: Daemon;
  try {
    daemon = await startDaemon(options);
  } catch (error) {
    await removeDir();
    throw error;
  }
  return {
    name: daemon.name,
    pid: daemon.pid,
    output: daemon.output,
    async stop(graceMs) {
      await daemon.stop(graceMs);
      await removeDir();
    },
  };
}
