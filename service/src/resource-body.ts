import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { brotliCompress, gzip, constants as zlibConstants } from "node:zlib";
import type { ResourceRef } from "../../lib/contract/resource-kinds.js";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * What one cache entry holds: the finished response body and everything a response needs
 * besides it, so that a hit does no serialization, hashing or compression. Stored as a Redis
 * hash at the contract's key; a hit fetches only the fields the response will use (HMGET).
 */
export interface CachedBody {
  readonly etag: string;
  /** The encoding actually returned (`identity` when the entry has no such variant). */
  readonly encoding: BodyEncoding;
  readonly bytes: Buffer;
}

export type BodyEncoding = "identity" | "gzip" | "br";

export interface BodyEntry {
  readonly etag: string;
  readonly identity: Buffer;
  readonly gzip?: Buffer;
  readonly br?: Buffer;
}

/** The wanted variant of an entry, or identity when the entry has no such variant. */
export function variantOf(entry: BodyEntry, encoding: BodyEncoding): CachedBody {
  const variant = encoding === "identity" ? undefined : entry[encoding];
  return variant
    ? { etag: entry.etag, encoding, bytes: variant }
    : { etag: entry.etag, encoding: "identity", bytes: entry.identity };
}

export const RESOURCE_MIME_TYPE = "text/markdown";

/** The MCP `ReadResourceResult` the contract fixes as the body of every resource route. */
export interface ReadResourceBody {
  contents: [{ uri: string; mimeType: string; text: string }];
}

/** A strong validator over the exact bytes sent as identity. */
export function strongEtag(bytes: Buffer): string {
  return `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 32)}"`;
}

/**
 * Builds everything a response needs, once per cache fill: the serialized body, its ETag,
 * and gzip/br variants when it is large enough for compression to pay (the runbook's 10 KB
 * rule). Compression runs on the libuv pool so a fill does not stall the event loop.
 */
export async function buildBodyEntry(
  ref: ResourceRef,
  text: string,
  compressionMinBytes: number,
): Promise<BodyEntry> {
  const body: ReadResourceBody = { contents: [{ uri: ref.uri, mimeType: RESOURCE_MIME_TYPE, text }] };
  const identity = Buffer.from(JSON.stringify(body));
  const etag = strongEtag(identity);
  if (identity.length < compressionMinBytes) return { etag, identity };
  const [gz, br] = await Promise.all([
    gzipAsync(identity, { level: 6 }),
    brotliAsync(identity, {
      params: {
        // Quality 5 keeps a 100 KB fill in single-digit milliseconds at ~gzip -9 ratios.
        [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
  ]);
  return { etag, identity, gzip: gz, br };
}
