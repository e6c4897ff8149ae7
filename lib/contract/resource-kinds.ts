/**
 * The resource kinds the service serves, as one table: for each kind, the names that pick one
 * resource and where each comes from in a request, its route, its MCP URI, its cache key and
 * its file under CONTENT_DIR. The service's routes and MCP catalogue, the metrics' label
 * values, fault injection, the load workload, the drills and the generated rules all loop
 * over this table: a new kind is one entry here plus its content files.
 *
 * Pure data and functions, no Node API: k6 scripts import it too.
 */
import { RESOURCE_NAME_PATTERN } from "./resource-names.ts";

/** One name that picks a resource (`language`, `name`, `artifact_type`). */
export interface NamePart {
  readonly param: string;
  /** Where the REST route takes it: a path segment, or a query parameter. */
  readonly in: "path" | "query";
  /** For query parts: the value when the client leaves it out, or the config default to use. */
  readonly default?: { readonly config: "defaultLanguage" };
  /** When only some names exist by contract (the SDLC core is the one `sdlc` resource). */
  readonly only?: readonly string[];
  /** What the name is, for error messages and MCP completions. */
  readonly describes: string;
}

export interface ResourceKind {
  /** The `resource_type` label value and the URL segment after /mcp/resources/. */
  readonly type: string;
  readonly title: string;
  /** The names of one resource, outermost first: also its path under CONTENT_DIR (`.md` last). */
  readonly parts: readonly NamePart[];
  /** Answers GET /mcp/resources/<type> with the kind's listing (metadata only). */
  readonly listed: boolean;
  /**
   * How MCP presents one resource of the kind when its file has no `# ` heading to take the
   * title from, and its description; `{param}` stands for a name (humanised in titles).
   */
  readonly catalog: { readonly title: string; readonly description: string };
  /** The kind's MCP resource template (resources/templates/list); none for a single resource. */
  readonly mcpTemplate?: { readonly name: string; readonly title: string; readonly description: string };
}

export const RESOURCE_KINDS = [
  {
    type: "sdlc",
    title: "SDLC framework core",
    parts: [{ param: "name", in: "path", only: ["core"], describes: "SDLC document" }],
    listed: false,
    catalog: {
      title: "SDLC Framework Core",
      description:
        "The normative core of the SDLC framework: phases, artifacts, quality gates and engineering practices. Read this first.",
    },
  },
  {
    type: "patterns",
    title: "Implementation patterns",
    parts: [
      { param: "language", in: "query", default: { config: "defaultLanguage" }, describes: "language" },
      { param: "name", in: "path", describes: "pattern" },
    ],
    listed: false,
    catalog: {
      title: "{language} {name} Patterns",
      description: "Implementation patterns for {language}: {name}.",
    },
    mcpTemplate: {
      name: "pattern",
      title: "Implementation patterns",
      description:
        "Implementation patterns for one language (e.g. sdlc://patterns/python/core). Names match ^[a-z0-9][a-z0-9_-]{0,63}$; completion suggests both variables.",
    },
  },
  {
    type: "templates",
    title: "Artifact templates",
    parts: [{ param: "artifact_type", in: "path", describes: "artifact type" }],
    listed: true,
    catalog: {
      title: "{artifact_type} Template",
      description: "Fill-in artifact template: {artifact_type}.",
    },
    mcpTemplate: {
      name: "template",
      title: "Artifact template",
      description:
        "A fill-in artifact template (e.g. sdlc://templates/prd). Names match ^[a-z0-9][a-z0-9_-]{0,63}$; completion suggests the artifact types.",
    },
  },
] as const satisfies readonly ResourceKind[];

export type ResourceType = (typeof RESOURCE_KINDS)[number]["type"];
export const RESOURCE_TYPES: readonly ResourceType[] = RESOURCE_KINDS.map((k) => k.type);

export const URI_SCHEME = "sdlc://";
export const CACHE_KEY_PREFIX = "resource";
export const ROUTE_PREFIX = "/mcp/resources";

export function resourceKind(type: ResourceType): ResourceKind {
  const kind = (RESOURCE_KINDS as readonly ResourceKind[]).find((k) => k.type === type);
  if (!kind) throw new Error(`no resource kind ${type}`);
  return kind;
}

/** One addressable resource: where it lives on disk, its cache key and its MCP URI. */
export interface ResourceRef {
  readonly type: ResourceType;
  /** The part values in the kind's order, already validated. */
  readonly names: readonly string[];
  /** Path segments under CONTENT_DIR: the type, then the names; the last gets `.md`. */
  readonly segments: readonly string[];
  readonly cacheKey: string;
  readonly uri: string;
}

/**
 * The ref of a resource from its part values (kind order). The caller has validated them
 * against RESOURCE_NAME_PATTERN; a kind with only one part and one allowed name (sdlc)
 * leaves that name out of its URI, as the contract's `sdlc://core` does.
 */
export function resourceRef(type: ResourceType, names: readonly string[]): ResourceRef {
  const kind = resourceKind(type);
  if (names.length !== kind.parts.length)
    throw new Error(`${type} resources have ${kind.parts.length} name(s), got ${names.length}`);
  return {
    type,
    names: [...names],
    segments: [type, ...names],
    cacheKey: [CACHE_KEY_PREFIX, type, ...names].join(":"),
    uri: isSingleton(kind) ? `${URI_SCHEME}${names[0]}` : `${URI_SCHEME}${[type, ...names].join("/")}`,
  };
}

function isSingleton(kind: ResourceKind): boolean {
  return kind.parts.length === 1 && (kind.parts[0]?.only?.length ?? 0) > 0;
}

/** The URI template of a kind (RFC 6570 level 1), as MCP's resources/templates/list shows it. */
export function uriTemplate(kind: ResourceKind): string {
  if (isSingleton(kind)) return `${URI_SCHEME}${kind.parts[0]?.only?.[0]}`;
  return `${URI_SCHEME}${[kind.type, ...kind.parts.map((p) => `{${p.param}}`)].join("/")}`;
}

/** The Express route of a kind: path parts as `:param`, query parts left to the query string. */
export function routePath(kind: ResourceKind): string {
  const path = kind.parts.filter((p) => p.in === "path").map((p) => `:${p.param}`);
  return [ROUTE_PREFIX, kind.type, ...path].join("/");
}

/** The REST path (and query) of one resource, e.g. /mcp/resources/patterns/core?language=go. */
export function resourcePath(ref: Pick<ResourceRef, "type" | "names">): string {
  const kind = resourceKind(ref.type);
  const path: string[] = [];
  const query: string[] = [];
  kind.parts.forEach((part, i) => {
    const value = ref.names[i] ?? "";
    if (part.in === "path") path.push(value);
    else query.push(`${part.param}=${value}`);
  });
  return `${[ROUTE_PREFIX, kind.type, ...path].join("/")}${query.length ? `?${query.join("&")}` : ""}`;
}

/** `{param}` placeholders of `text` filled from a resource's names (`format` shapes each). */
export function fillNames(
  text: string,
  ref: Pick<ResourceRef, "type" | "names">,
  format: (value: string) => string = (value) => value,
): string {
  const kind = resourceKind(ref.type);
  return text.replace(/\{([a-z_]+)\}/g, (whole, param: string) => {
    const i = kind.parts.findIndex((p) => p.param === param);
    return i < 0 ? whole : format(ref.names[i] ?? "");
  });
}

/** The REST path of a kind's listing, when it has one. */
export function listingPath(kind: ResourceKind): string | undefined {
  return kind.listed ? `${ROUTE_PREFIX}/${kind.type}` : undefined;
}

export type UriMatch =
  | { readonly ok: true; readonly ref: ResourceRef }
  | { readonly ok: false; readonly reason: "unknown" }
  | { readonly ok: false; readonly reason: "invalid-name"; readonly param: string; readonly value: string };

/**
 * Matches a client-supplied URI against the kinds. The URI is taken as the exact string the
 * client sent: never URL-parsed (which would resolve `..`) nor percent-decoded, and every
 * name must match the name rule, so `%2F`, `..` or `Core` fail here, before any path, key or
 * label is built from them.
 */
export function matchResourceUri(uri: string): UriMatch {
  if (!uri.startsWith(URI_SCHEME)) return { ok: false, reason: "unknown" };
  const rest = uri.slice(URI_SCHEME.length).split("/");
  for (const kind of RESOURCE_KINDS as readonly ResourceKind[]) {
    if (isSingleton(kind)) {
      if (rest.length === 1 && kind.parts[0]?.only?.includes(rest[0] ?? ""))
        return { ok: true, ref: resourceRef(kind.type as ResourceType, rest) };
      continue;
    }
    const [type, ...names] = rest;
    if (type !== kind.type || names.length !== kind.parts.length) continue;
    for (const [i, part] of kind.parts.entries()) {
      const value = names[i] ?? "";
      if (!RESOURCE_NAME_PATTERN.test(value))
        return { ok: false, reason: "invalid-name", param: part.param, value };
    }
    return { ok: true, ref: resourceRef(kind.type as ResourceType, names) };
  }
  return { ok: false, reason: "unknown" };
}
