import type { Request } from "express";
import type { BodyEncoding } from "../resource-body.js";

/**
 * br whenever the client accepts it, then gzip, then identity: the server's preference, as
 * CDNs apply it (browsers list "gzip, deflate, br" with equal weight). `q=0` still refuses.
 */
export function chooseEncoding(req: Request): BodyEncoding {
  const accepted = req.headers["accept-encoding"];
  // The common answers without parsing: none named, or only the plain bytes asked for.
  if (!accepted || accepted === "identity") return "identity";
  if (req.acceptsEncodings("br") === "br") return "br";
  if (req.acceptsEncodings("gzip") === "gzip") return "gzip";
  return "identity";
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
