import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

interface Connection {
  /** Requests on this connection whose response has not closed yet. */
  inFlight: number;
  /** When the last response closed (or the connection opened). */
  idleSince: number;
  /** socket.bytesRead then: more bytes since means a next request has started to arrive. */
  bytesAtIdle: number;
  /** The connection's latest response until it closes (see track). */
  latest: ServerResponse | undefined;
}

/**
 * Stops the HTTP server's connections without resetting any: the graceful half of shutdown.
 *
 * Node's own `server.close()` destroys every connection that is idle at that instant, and a
 * keep-alive client under load is "idle" for the microseconds between reading one response
 * and sending the next request; destroying the socket while that request is in the kernel's
 * buffer makes the kernel answer it with a TCP reset. So instead:
 * - every response not yet started when draining begins, and every one after, says
 *   `Connection: close`: a busy connection ends cleanly after its current request;
 * - a connection is closed by `closeIdle` only when it has had no request in flight and no
 *   byte of a new one for `minIdleMs`, which a client in a request loop never has.
 */
export class ConnectionDrain {
  readonly #connections = new Map<Socket, Connection>();
  /** Responses on sockets this drain was not attached to (tests mounting the app alone). */
  readonly #untracked = new Set<ServerResponse>();
  #draining = false;

  attach(server: Server): void {
    server.on("connection", (socket: Socket) => {
      this.#connections.set(socket, {
        inFlight: 0,
        idleSince: performance.now(),
        bytesAtIdle: 0,
        latest: undefined,
      });
      socket.once("close", () => this.#connections.delete(socket));
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Called for every request, before any handler: tracks it until its response closes.
   *
   * Per connection only its latest response is kept for `begin`, not a Set of every open
   * response: adding and deleting each response in one shared Set made V8 rebuild the Set's
   * table over and over, 44% of the bytes the service promoted to the old generation at 100
   * connections (sampling heap profiler), and so most of its mark-compact pauses. The latest
   * is enough: responses on a connection go out in order, so when the latest says
   * `Connection: close`, the connection ends cleanly after every response before it too.
   */
  track(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.#connections.get(req.socket);
    if (connection) connection.inFlight += 1;
    if (this.#draining) res.setHeader("Connection", "close");
    else if (connection) connection.latest = res;
    else this.#untracked.add(res);
    res.once("close", () => {
      if (!connection) {
        this.#untracked.delete(res);
        return;
      }
      if (connection.latest === res) connection.latest = undefined;
      connection.inFlight -= 1;
      connection.idleSince = performance.now();
      connection.bytesAtIdle = req.socket.bytesRead;
    });
  }

  /** From now on every response closes its connection, including those already being handled. */
  begin(): void {
    this.#draining = true;
    const open = [...this.#untracked, ...[...this.#connections.values()].flatMap((c) => c.latest ?? [])];
    for (const res of open) if (!res.headersSent) res.setHeader("Connection", "close");
    this.#untracked.clear();
  }

  /**
   * Closes the connections idle for at least `minIdleMs`. Call it from setImmediate (after
   * the poll phase): then a request already in the socket buffer has been read and counts.
   */
  closeIdle(minIdleMs: number): void {
    const now = performance.now();
    for (const [socket, connection] of this.#connections) {
      if (connection.inFlight > 0 || socket.bytesRead !== connection.bytesAtIdle) continue;
      if (now - connection.idleSince >= minIdleMs) socket.destroy();
    }
  }

  /** Connections with a request in flight or partly received: what closing them now would cut. */
  get busyConnections(): number {
    let busy = 0;
    for (const [socket, connection] of this.#connections) {
      if (connection.inFlight > 0 || socket.bytesRead !== connection.bytesAtIdle) busy += 1;
    }
    return busy;
  }
}
