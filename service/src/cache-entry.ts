import { crc32 } from "node:zlib";
import type { InvalidEntryReason } from "./metric-labels.js";
import type { BodyEncoding, BodyEntry, CachedBody } from "./resource-body.js";
import { strongEtag } from "./resource-body.js";

/**
 * The stored form of a cache entry (a Redis hash at the contract's key) and the checks a
 * value read back must pass before it is served or kept in the in-process tier. Anything in
 * Redis may have been written by someone else (another version, an operator, an attacker
 * with access, a bit flip): a value that is not exactly what this service writes is a miss.
 *
 *   v     format version (ENTRY_FORMAT)
 *   etag  strong ETag of `body`
 *   sum   "body:<length>:<crc> gzip:... br:...": byte length and CRC-32 of each stored variant,
 *         the CRC seeded with the ETag, so a variant that does not belong to this ETag fails too
 *   body  identity bytes; gzip, br: compressed variants (bodies of COMPRESSION_MIN_BYTES or more)
 *
 * and a TTL: an entry without one would never be refreshed from disk.
 */

/** Bump when the fields or their meaning change: older entries then read as misses and get rewritten. */
export const ENTRY_FORMAT = "2";

/** The hash field of each encoding. */
const FIELD: Readonly<Record<BodyEncoding, string>> = { identity: "body", gzip: "gzip", br: "br" };

/** Every field, in this order, for a read that fills the in-process tier. */
export const ALL_FIELDS: readonly string[] = ["v", "etag", "sum", "body", "gzip", "br"];

/** The fields a single-variant read needs (identity comes along for entries without the variant). */
export function variantFields(encoding: BodyEncoding): string[] {
  return encoding === "identity"
    ? ["v", "etag", "sum", "body"]
    : ["v", "etag", "sum", FIELD[encoding], "body"];
}

/** Length and CRC-32 of the bytes, the CRC seeded with the CRC-32 of the ETag. */
function checksum(etag: string, bytes: Buffer): string {
  return `${bytes.length}:${crc32(bytes, crc32(etag)).toString(16).padStart(8, "0")}`;
}

/** The hash fields to store for an entry. */
export function entryFields(entry: BodyEntry): Record<string, Buffer | string> {
  const fields: Record<string, Buffer | string> = { v: ENTRY_FORMAT, etag: entry.etag, body: entry.identity };
  const sums = [`body:${checksum(entry.etag, entry.identity)}`];
  for (const encoding of ["gzip", "br"] as const) {
    const bytes = entry[encoding];
    if (!bytes) continue;
    fields[FIELD[encoding]] = bytes;
    sums.push(`${FIELD[encoding]}:${checksum(entry.etag, bytes)}`);
  }
  fields.sum = sums.join(" ");
  return fields;
}

/** What a read found: nothing, a verified entry or variant, or a value refused for a reason. */
export type Verified<T> =
  | { found: "absent" }
  | { found: "valid"; value: T }
  | { found: "invalid"; reason: InvalidEntryReason };

const ABSENT = { found: "absent" } as const;
const invalid = (reason: InvalidEntryReason) => ({ found: "invalid", reason }) as const;

interface Header {
  etag: string;
  /** field -> "length:crc" */
  sums: Map<string, string>;
  /** What identifies this stored value: the same signature, the same bytes (barring tampering). */
  signature: string;
}

/** Checks what every read checks: presence, format version, ETag and checksum list, TTL. */
function header(reply: readonly unknown[], ttlMs: number): Verified<Header> {
  if (reply.every((field) => field === null || field === undefined)) return ABSENT;
  const [version, etag, sum] = reply;
  if (!Buffer.isBuffer(version) || version.toString() !== ENTRY_FORMAT) return invalid("format");
  if (!Buffer.isBuffer(etag) || !Buffer.isBuffer(sum)) return invalid("format");
  const sums = new Map<string, string>();
  const listed = sum.toString();
  for (const item of listed.split(" ")) {
    const split = item.indexOf(":");
    if (split < 1 || !/^\d+:[0-9a-f]{8}$/.test(item.slice(split + 1))) return invalid("format");
    sums.set(item.slice(0, split), item.slice(split + 1));
  }
  if (!sums.has("body")) return invalid("format");
  // PTTL: -1 no TTL, -2 gone (expired between the two replies): neither may be served.
  if (ttlMs <= 0) return invalid("ttl");
  const tag = etag.toString();
  return { found: "valid", value: { etag: tag, sums, signature: `${tag} ${listed}` } };
}

function matches(head: Header, field: string, bytes: unknown): boolean {
  return Buffer.isBuffer(bytes) && head.sums.get(field) === checksum(head.etag, bytes);
}

/** Only the recorded length: for a value whose CRC was checked when its signature was first seen. */
function lengthMatches(head: Header, field: string, bytes: unknown): boolean {
  return Buffer.isBuffer(bytes) && head.sums.get(field)?.startsWith(`${bytes.length}:`) === true;
}

/**
 * A whole entry (ALL_FIELDS), verified in full before it goes into the in-process tier, where
 * it is served without further checks: every stored variant against its checksum, no listed
 * variant missing, and the body against its ETag (a SHA-256, once per entry, not per request).
 */
export function verifyEntry(reply: readonly unknown[], ttlMs: number): Verified<BodyEntry> {
  const head = header(reply, ttlMs);
  if (head.found !== "valid") return head;
  const [, , , body, gz, br] = reply;
  const { value } = head;
  for (const [field, bytes] of [
    ["body", body],
    ["gzip", gz],
    ["br", br],
  ] as const) {
    const listed = value.sums.has(field);
    const present = Buffer.isBuffer(bytes);
    if (listed !== present || (present && !matches(value, field, bytes))) return invalid("checksum");
  }
  const identity = body as Buffer;
  if (strongEtag(identity) !== value.etag) return invalid("etag");
  return {
    found: "valid",
    value: {
      etag: value.etag,
      identity,
      ...(Buffer.isBuffer(gz) ? { gzip: gz } : {}),
      ...(Buffer.isBuffer(br) ? { br } : {}),
    },
  };
}

/** A variant that passed verification, and the signature to remember it by. */
export interface VerifiedVariant extends CachedBody {
  readonly signature: string;
}

/**
 * One variant (variantFields), for reads without the in-process tier, where nothing would
 * remember a verification: format, TTL, and the length of the bytes served on every read; the
 * CRC-32 of those bytes only when the value's signature differs from `knownSignature` (the one
 * this variant of this key had when it was last verified). Checksumming the body on every
 * request would cost as much as the read itself (~20 us for 50 KB); the ETag is never
 * recomputed here, the CRC, seeded with it, ties the two together instead.
 */
export function verifyVariant(
  reply: readonly unknown[],
  encoding: BodyEncoding,
  ttlMs: number,
  knownSignature?: string,
): Verified<VerifiedVariant> {
  const head = header(reply, ttlMs);
  if (head.found !== "valid") return head;
  const { value } = head;
  const [, , , wanted, identity] = reply;
  // Small bodies are stored without compressed variants: identity it is.
  const compressed = encoding !== "identity" && value.sums.has(FIELD[encoding]);
  const served: BodyEncoding = compressed ? encoding : "identity";
  const field = FIELD[served];
  const bytes = encoding === "identity" || compressed ? wanted : identity;
  const ok =
    value.signature === knownSignature ? lengthMatches(value, field, bytes) : matches(value, field, bytes);
  if (!ok) return invalid("checksum");
  return {
    found: "valid",
    value: { etag: value.etag, encoding: served, bytes: bytes as Buffer, signature: value.signature },
  };
}
