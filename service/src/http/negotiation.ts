import type { IncomingMessage } from "node:http";
import accepts from "accepts";
import type { BodyEncoding } from "../resource-body.js";

/**
 * br whenever the client accepts it, then gzip, then identity: the server's preference, as
 * CDNs apply it (browsers list "gzip, deflate, br" with equal weight). `q=0` still refuses.
 */
export function chooseEncoding(req: IncomingMessage): BodyEncoding {
  const accepted = req.headers["accept-encoding"];
  // The common answers without parsing: none named, or only the plain bytes asked for.
  if (!accepted || accepted === "identity") return "identity";
  // What Express's req.acceptsEncodings does, on a request Express may not have seen.
  const negotiated = accepts(req);
  if (negotiated.encodings("br") === "br") return "br";
  if (negotiated.encodings("gzip") === "gzip") return "gzip";
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
