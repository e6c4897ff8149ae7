/**
 * A baseline server for perf:compare, run as its own child process (so it never shares an
 * event loop with the load generator): it serves response bytes captured from the real
 * service, from a Map keyed by path+query, either through a minimal Express 5 app or a bare
 * node:http server. It listens on 127.0.0.1 on a free port and prints `listening <port>`.
 *
 *   node --import tsx loadtest/src/compare/baseline-server.ts <express|http> <captured.json>
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

/** One captured response: what the service sent for that URL (body base64). */
export interface CapturedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BaselineKind = "express" | "http";

interface Entry {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function load(file: string): Map<string, Entry> {
  const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, CapturedResponse>;
  const map = new Map<string, Entry>();
  for (const [url, r] of Object.entries(raw)) {
    map.set(url, { status: r.status, headers: r.headers, body: Buffer.from(r.body, "base64") });
  }
  return map;
}

function expressServer(responses: Map<string, Entry>): http.Server {
  const app = express();
  // The captured headers include the service's ETag, so res.send does not hash the body;
  // everything else is Express's defaults, the ceiling the service is compared with.
  app.use((req, res) => {
    const hit = responses.get(req.originalUrl);
    if (!hit) {
      res.status(404).json({ error: "not captured" });
      return;
    }
    res.status(hit.status).set(hit.headers).send(hit.body);
  });
  return http.createServer(app);
}

function bareServer(responses: Map<string, Entry>): http.Server {
  return http.createServer((req, res) => {
    const hit = responses.get(req.url ?? "");
    if (!hit) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not captured"}');
      return;
    }
    res.writeHead(hit.status, { ...hit.headers, "content-length": hit.body.length }).end(hit.body);
  });
}

function main(): void {
  const [kind, file] = process.argv.slice(2);
  if ((kind !== "express" && kind !== "http") || !file) {
    process.stderr.write("usage: baseline-server.ts <express|http> <captured.json>\n");
    process.exit(2);
  }
  const responses = load(file);
  const server = kind === "express" ? expressServer(responses) : bareServer(responses);
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    // Idle keep-alive connections would otherwise hold close() open.
    server.closeAllConnections();
  });
}

main();
