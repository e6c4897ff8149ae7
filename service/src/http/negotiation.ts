import type { Request } from "express";
import type { BodyEncoding } from "../resource-cache.js";

const PREFERRED: BodyEncoding[] = ["br", "gzip", "identity"];

/** Picks br, then gzip, then identity, as the client's Accept-Encoding allows. */
export function chooseEncoding(req: Request): BodyEncoding {
  if (!req.headers["accept-encoding"]) return "identity";
  const chosen = req.acceptsEncodings(PREFERRED);
  return chosen === "br" || chosen === "gzip" ? chosen : "identity";
}

/** If-None-Match per RFC 9110: weak comparison, a list of tags, or `*`. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === opaque;
  });
}
