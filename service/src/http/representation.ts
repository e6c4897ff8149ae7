import type { IncomingMessage, ServerResponse } from "node:http";
import type { BodyEncoding } from "../resource-body.js";
import type { LoadedResource } from "../resource-loader.js";
import { etagMatches } from "./negotiation.js";

/** A finished body with its strong validator, in the encoding it is stored in. */
export interface Representation {
  readonly etag: string;
  readonly bytes: Buffer;
  readonly encoding: BodyEncoding;
}

/**
 * The one way a resource or listing is answered, by the routes and by the resource lane
 * alike: validators and caching headers, then a 304 when the client's If-None-Match holds the
 * ETag, else the bytes (none for HEAD). `cache` adds the headers of a loaded resource (Vary,
 * X-Cache); listings have neither. Plain node:http calls, so it serves a request Express never
 * saw as well as one it routed.
 */
export function sendRepresentation(
  req: IncomingMessage,
  res: ServerResponse,
  body: Representation,
  cache?: "HIT" | "MISS",
): void {
  res.setHeader("ETag", body.etag);
  res.setHeader("Cache-Control", "no-cache");
  if (cache) {
    res.setHeader("Vary", "Accept-Encoding");
    res.setHeader("X-Cache", cache);
  }
  if (etagMatches(req.headers["if-none-match"], body.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  if (body.encoding !== "identity") res.setHeader("Content-Encoding", body.encoding);
  res.setHeader("Content-Length", body.bytes.length);
  res.statusCode = 200;
  res.end(req.method === "HEAD" ? undefined : body.bytes);
}

/** A loaded resource, with X-Cache saying whether it came from a cache. */
export const sendLoaded = (req: IncomingMessage, res: ServerResponse, loaded: LoadedResource) =>
  sendRepresentation(req, res, loaded, loaded.cacheResult === "hit" ? "HIT" : "MISS");
