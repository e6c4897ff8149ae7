import type { Resource } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import {
  fillNames,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceRef,
  type ResourceType,
  resourceRef,
} from "../../lib/contract/resource-kinds.js";
import { type ContentStore, ResourceNotFoundError, ResourceUnreadableError } from "./content-store.js";
import { type ExpiringValue, expiringValue } from "./expiring-value.js";
import { RESOURCE_MIME_TYPE, strongEtag } from "./resource-body.js";

/** One readable resource, as listings show it. */
export interface CatalogEntry {
  readonly ref: ResourceRef;
  readonly size: number;
  /** Its file's first `# ` heading, or the kind's fallback title. */
  readonly title: string;
  readonly description: string;
}

/**
 * What the content directory holds, built from one walk and served to everyone who lists:
 * the REST listings, MCP's resources/list and completion/complete, and readiness.
 */
export interface Catalog {
  /** Every readable resource, kind by kind in the table's order, each kind sorted by name. */
  readonly entries: readonly CatalogEntry[];
  /** The entries as MCP resources. */
  readonly resources: readonly Resource[];
  /** Size of `resources` as JSON: what a resources/list adds to a response. */
  readonly listBytes: number;
  /** The REST listing of each listed kind, serialized once, with its strong ETag. */
  readonly listings: ReadonlyMap<ResourceType, { readonly body: Buffer; readonly etag: string }>;
}

export type CatalogSource = ExpiringValue<Catalog>;

/**
 * How long one walk of the content directory answers every listing. Listing requests come in
 * bursts (a client's resources/list at connect, completion per keystroke, a load test's share
 * of GET listings), so one walk answers a burst.
 */
export const CATALOG_TTL_MS = 2_000;

/**
 * After CATALOG_TTL_MS, how long listings are still answered from the last walk while the
 * next one runs: the walk opens and reads every file's head, and the listings that arrive
 * meanwhile should not wait for it. A file added or removed shows up in the first listing
 * after that walk: within the TTL under steady traffic, within TTL + this at most.
 */
export const CATALOG_STALE_MS = 2_000;

/** How much of each file the catalog reads for its title: a heading is near the top. */
const TITLE_HEAD_BYTES = 64 * 1024;

/** The head without a line cut off at its end, so that no title is a truncated heading. */
function wholeLines(head: { text: string; size: number }): string {
  if (Buffer.byteLength(head.text) >= head.size) return head.text;
  return head.text.slice(0, head.text.lastIndexOf("\n") + 1);
}

/** "design-doc" -> "Design Doc". */
function humanise(name: string): string {
  return name
    .split(/[-_]/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

/** The text of the first `# ` heading outside a code fence, if any. */
export function firstHeading(markdown: string): string | undefined {
  let fenced = false;
  for (const line of markdown.split("\n", 200)) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const match = /^#[ \t]+(.+?)[ \t#]*$/.exec(line.replace(/\r$/, ""));
    if (match?.[1]) return match[1].slice(0, 200);
  }
  return undefined;
}

/** Every combination of names a kind allows, when the contract fixes each of its names. */
function fixedNames(kind: ResourceKind): string[][] | undefined {
  if (!kind.parts.every((part) => part.only)) return undefined;
  return kind.parts.reduce<string[][]>(
    (combos, part) => combos.flatMap((names) => (part.only ?? []).map((name) => [...names, name])),
    [[]],
  );
}

/** The REST listing body of a kind: metadata only (uri, name, mime type, size). */
function listingBody(entries: readonly CatalogEntry[]): { body: Buffer; etag: string } {
  const body = Buffer.from(
    JSON.stringify({
      resources: entries.map(({ ref, size }) => ({
        uri: ref.uri,
        name: ref.names.join("/"),
        mimeType: RESOURCE_MIME_TYPE,
        size,
      })),
    }),
  );
  return { body, etag: strongEtag(body) };
}

/**
 * One walk of the content store: every file of every kind (valid names only, real paths
 * inside CONTENT_DIR), and the first TITLE_HEAD_BYTES of each for its title (a 50 MB file
 * costs 64 KB). Those reads go to the store directly, not through the loader, so listing
 * counts as no resource load in the mcp_resource_* metrics and fills no cache. A file that
 * cannot be read costs that file (left out, logged), never the listing.
 */
async function buildCatalog(store: ContentStore, logger: Logger): Promise<Catalog> {
  const kinds = RESOURCE_KINDS as readonly ResourceKind[];
  const perKind = await Promise.all(
    kinds.map(async (kind): Promise<Array<{ ref: ResourceRef; size?: number }>> => {
      // A kind whose names the contract fixes (the SDLC core) must have those files: each is
      // tried, so one that cannot be read is logged below instead of silently not listed.
      const fixed = fixedNames(kind);
      return fixed
        ? fixed.map((names) => ({ ref: resourceRef(kind.type as ResourceType, names) }))
        : store.list(kind);
    }),
  );
  const found = await Promise.all(
    kinds.flatMap((kind, k) =>
      (perKind[k] ?? []).map(async ({ ref, size }): Promise<CatalogEntry | undefined> => {
        let head: { text: string; size: number };
        try {
          head = await store.readHead(ref, TITLE_HEAD_BYTES);
        } catch (error) {
          // Gone since it was listed: simply not listed.
          if (error instanceof ResourceNotFoundError) return undefined;
          logger.warn(
            { uri: ref.uri, err: String(error instanceof ResourceUnreadableError ? error.cause : error) },
            "resource left out of the catalog: its file could not be read",
          );
          return undefined;
        }
        return {
          ref,
          size: size ?? head.size,
          title: firstHeading(wholeLines(head)) ?? fillNames(kind.catalog.title, ref, humanise),
          description: fillNames(kind.catalog.description, ref),
        };
      }),
    ),
  );
  const entries = found.filter((entry) => entry !== undefined);
  const resources: Resource[] = entries.map((entry) => ({
    uri: entry.ref.uri,
    name: entry.ref.names.join("/"),
    title: entry.title,
    description: entry.description,
    mimeType: RESOURCE_MIME_TYPE,
    size: entry.size,
  }));
  const listings = new Map(
    kinds
      .filter((kind) => kind.listed)
      .map((kind) => [
        kind.type as ResourceType,
        listingBody(entries.filter((entry) => entry.ref.type === kind.type)),
      ]),
  );
  logger.debug({ resources: resources.length }, "content catalog built");
  return { entries, resources, listBytes: Buffer.byteLength(JSON.stringify(resources)), listings };
}

/**
 * The catalog, rebuilt at most once per `ttlMs` (then served stale for up to CATALOG_STALE_MS
 * while the next walk runs); concurrent callers share one build.
 */
export function createCatalogSource(
  store: ContentStore,
  logger: Logger,
  ttlMs: number = CATALOG_TTL_MS,
): CatalogSource {
  return expiringValue(() => buildCatalog(store, logger), {
    ttlMs,
    staleMs: CATALOG_STALE_MS,
    onRefreshError: (error) =>
      logger.warn({ err: String(error) }, "content catalog refresh failed; listings use the last walk"),
  });
}

/**
 * The names a template variable can take, for MCP completion: the `param` part of every
 * readable resource of `kind`, narrowed by the values already chosen for earlier parts.
 */
export function nameChoices(
  catalog: Catalog,
  kind: ResourceKind,
  param: string,
  chosen: Readonly<Record<string, string>> = {},
): string[] {
  const index = kind.parts.findIndex((part) => part.param === param);
  if (index < 0) return [];
  const values = new Set<string>();
  for (const { ref } of catalog.entries) {
    if (ref.type !== kind.type) continue;
    const fits = kind.parts
      .slice(0, index)
      .every((part, i) => chosen[part.param] === undefined || chosen[part.param] === ref.names[i]);
    if (fits) values.add(ref.names[index] ?? "");
  }
  return [...values].sort();
}
