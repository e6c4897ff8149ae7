/**
 * Where the server and the load generator run. On a machine with two or more CPUs (and
 * taskset), the server side (the server under test, and Redis) is pinned to CPU 0 and the
 * generator to CPU 1, so the generator never takes CPU time from the server it measures and
 * the figures say what one core of server does. Elsewhere nothing is pinned and the report
 * says so.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";

export interface CpuSplit {
  /** taskset CPU list of the server under test (and Redis). */
  readonly server: string;
  /** taskset CPU list of the load generator. */
  readonly generator: string;
}

function tasksetWorks(): boolean {
  try {
    // Pinning ourselves to the CPUs we already have is a no-op that fails where
    // sched_setaffinity is not allowed (some containers).
    execFileSync("taskset", ["-pc", `0-${os.cpus().length - 1}`, String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The split this machine allows: CPU 0 for the server, CPU 1 for the generator, or none. */
export function detectCpuSplit(): CpuSplit | undefined {
  if (process.env.PERF_NO_PIN === "1") return undefined;
  if (os.cpus().length < 2 || !tasksetWorks()) return undefined;
  return { server: "0", generator: "1" };
}

/** Pins every thread of a running process (V8's GC helpers and libuv's pool included). */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-pc", cpus, String(pid)], { stdio: "ignore" });
}

/** The command and arguments that run `command` on `cpus` (unchanged without a split). */
export function pinned(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpus === undefined ? [command, [...args]] : ["taskset", ["-c", cpus, command, ...args]];
}

/** "server on CPU 0, generator on CPU 1", or why nothing is pinned. */
export function describeCpuSplit(split: CpuSplit | undefined): string {
  if (!split)
    return `not pinned (${os.cpus().length} CPU(s)${process.env.PERF_NO_PIN === "1" ? ", PERF_NO_PIN=1" : " or no taskset"}): server and generator share every CPU`;
  return `server (and Redis) on CPU ${split.server}, load generator on CPU ${split.generator}`;
}
