import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ephemeralPortRange, getFreePort } from "../../lib/harness/ports.js";

describe("getFreePort", () => {
  it("reads the kernel's ephemeral port range", () => {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(ephemeralPortRange()).toEqual([low, high]);
  });

  it("hands out ports below the ephemeral range, which outgoing connections cannot take in the meantime", async () => {
    const [low] = ephemeralPortRange();
    const ports = await Promise.all(Array.from({ length: 50 }, () => getFreePort()));
    for (const port of ports) expect(port).toBeLessThan(low);
    // Never the same one twice in a process: two components started together get two ports.
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("hands out a port that is free: a server can listen on it", async () => {
    const port = await getFreePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
