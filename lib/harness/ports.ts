import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The kernel's range for outgoing connections' local ports (Linux default when unreadable). */
export function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number];
  } catch {
    // Not Linux, or no /proc: the default below.
  }
  return [32_768, 60_999];
}

/** Ports this process handed out: never twice. */
const handedOut = new Set<number>();

/** Whether a server can listen on 127.0.0.1:`port` right now. */
async function bindable(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback TCP port for a component to listen on, below the kernel's ephemeral range:
 * between this check and the component's bind, outgoing connections (load generators, clients)
 * take their local ports from the ephemeral range and so cannot grab it. Never the same port
 * twice in one process.
 */
export async function getFreePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const low = 20_000;
  const high = Math.max(low + 1_000, ephemeralLow) - 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${low} and ${high} after 200 tries`);
}

/** Polls `probe` until it resolves truthy or the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`,
  );
}
