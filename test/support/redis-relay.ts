import net from "node:net";
import { getFreePort } from "../../lib/harness/ports.js";

/**
 * A proxy in front of a real redis-server, as HAProxy stands in front of the Sentinel-managed
 * master. What compose showed after `docker kill` of the master, both ending with a client
 * that never reconnected while the new master took writes:
 *
 * - "silent": the kill cut the service's connection, the client reconnected at once, HAProxy
 *   accepted and sent it on to the dead master's address, where the SYN went unanswered (a
 *   killed container's address just vanishes; nothing sends a reset). HAProxy kept the client
 *   side open (timeout client 1h) and never answered the handshake.
 * - "refuse": while no node was master HAProxy accepted and closed at once. The close arrived
 *   while node-redis was still building its handshake (it resolves the host name first, for
 *   Redis Enterprise's maintenance notifications); the handshake was then written to the
 *   closed socket, and its replies, awaited forever, stopped the reconnect loop.
 */
export class Relay {
  mode: "forward" | "silent" | "refuse" = "forward";
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly upstreamPort: number) {
    this.#server = net.createServer((client) => {
      this.#sockets.add(client);
      client.on("close", () => this.#sockets.delete(client));
      client.on("error", () => {});
      if (this.mode === "silent") {
        client.resume();
        return;
      }
      if (this.mode === "refuse") {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.upstreamPort, "127.0.0.1");
      this.#sockets.add(upstream);
      upstream.on("close", () => this.#sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  }

  /** A host name, as compose's redis://haproxy:6379: the handshake resolves it. */
  async listen(): Promise<string> {
    this.port = await getFreePort();
    await new Promise<void>((resolve) => this.#server.listen(this.port, "127.0.0.1", resolve));
    return `redis://localhost:${this.port}`;
  }

  /** The master is gone: every relayed connection is cut, as the kill cut them. */
  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
