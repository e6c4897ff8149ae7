import type { Resource } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { type ContentStore, ResourceNotFoundError, ResourceUnreadableError } from "../content-store.js";
import { expiringValue } from "../expiring-value.js";
import { RESOURCE_MIME_TYPE } from "../resource-body.js";
import { patternRef, type ResourceRef, sdlcCoreRef, templateRef } from "../resource-names.js";

/** What resources/list and completion/complete answer from: the content directory's contents. */
export interface Catalog {
  /** Every readable resource: the SDLC core, then the pattern files, then the templates. */
  readonly resources: readonly Resource[];
  /** Languages with at least one pattern file, sorted. */
  readonly languages: readonly string[];
  /** Pattern names per language, sorted. */
  readonly patternNames: ReadonlyMap<string, readonly string[]>;
  /** Artifact types with a template, sorted. */
  readonly artifactTypes: readonly string[];
  /** Size of `resources` as JSON: what a resources/list adds to a response. */
  readonly listBytes: number;
}

export interface CatalogSource {
  get(): Promise<Catalog>;
}

/** How long one walk of the content directory answers resources/list, completion and readiness. */
export const CATALOG_TTL_MS = 5_000;

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

interface Candidate {
  ref: ResourceRef;
  name: string;
  fallbackTitle: string;
  description: string;
  size?: number;
}

/**
 * Builds the catalog from the content store: the same discovery the REST template listing
 * uses (valid names only, real paths contained in CONTENT_DIR), plus a read of the first
 * TITLE_HEAD_BYTES of each file for its title (a 50 MB file costs 64 KB, not 50 MB). Those reads go to the store directly, not through the loader, so listing does
 * not count as resource loads in the mcp_resource_* metrics nor fill the cache.
 */
async function buildCatalog(store: ContentStore, logger: Logger): Promise<Catalog> {
  const [patterns, templates] = await Promise.all([store.listPatterns(), store.listTemplates()]);
  const candidates: Candidate[] = [
    {
      ref: sdlcCoreRef,
      name: "core",
      fallbackTitle: "SDLC Framework Core",
      description:
        "The normative core of the SDLC framework: phases, artifacts, quality gates and engineering practices. Read this first.",
    },
    ...patterns.map(({ language, name, size }) => ({
      ref: patternRef(language, name),
      name: `${language}/${name}`,
      fallbackTitle: `${humanise(language)} ${humanise(name)} Patterns`,
      description: `Implementation patterns for ${language}: ${name}.`,
      size,
    })),
    ...templates.map(({ name, size }) => ({
      ref: templateRef(name),
      name,
      fallbackTitle: `${humanise(name)} Template`,
      description: `Fill-in artifact template: ${name}.`,
      size,
    })),
  ];

  const resolved = await Promise.all(
    candidates.map(async (candidate): Promise<Resource | undefined> => {
      let head: { text: string; size: number };
      try {
        head = await store.readHead(candidate.ref, TITLE_HEAD_BYTES);
      } catch (error) {
        // Gone since it was listed (or never there, for the core): simply not listed.
        if (error instanceof ResourceNotFoundError) return undefined;
        // One file that cannot be read costs that file, not the listing: left out, logged.
        logger.warn(
          {
            uri: candidate.ref.uri,
            err: String(error instanceof ResourceUnreadableError ? error.cause : error),
          },
          "resource left out of the MCP catalog: its file could not be read",
        );
        return undefined;
      }
      return {
        uri: candidate.ref.uri,
        name: candidate.name,
        title: firstHeading(wholeLines(head)) ?? candidate.fallbackTitle,
        description: candidate.description,
        mimeType: RESOURCE_MIME_TYPE,
        size: candidate.size ?? head.size,
      };
    }),
  );
  const resources = resolved.filter((r): r is Resource => r !== undefined);
  const listed = new Set(resources.map((r) => r.uri));

  const patternNames = new Map<string, string[]>();
  for (const { language, name } of patterns) {
    if (!listed.has(patternRef(language, name).uri)) continue;
    patternNames.set(language, [...(patternNames.get(language) ?? []), name]);
  }
  const artifactTypes = templates.map(({ name }) => name).filter((name) => listed.has(templateRef(name).uri));
  logger.debug({ resources: resources.length }, "mcp resource catalog built");
  return {
    resources,
    languages: [...patternNames.keys()],
    patternNames,
    artifactTypes,
    listBytes: Buffer.byteLength(JSON.stringify(resources)),
  };
}

/**
 * The catalog, kept in memory for `ttlMs`. The server is stateless (a fresh MCP server per
 * request), so nothing per-session can hold it; building it costs a directory walk and a
 * read of every file (~30 files, ~250 KB) for the titles. Clients call resources/list at
 * connect and completion/complete per keystroke, so a short TTL collapses those bursts into
 * one walk while a changed content directory shows up within seconds. No list-changed
 * notifications are promised, so a few seconds of staleness break nothing. Concurrent
 * callers share one build; a failed build is not kept.
 */
export function createCatalogSource(
  store: ContentStore,
  logger: Logger,
  ttlMs: number = CATALOG_TTL_MS,
): CatalogSource {
  return expiringValue(() => buildCatalog(store, logger), ttlMs);
}
