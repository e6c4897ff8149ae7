/**
 * The contract's name rule for `name`, `language` and `artifact_type`. Checked before any
 * file, cache key or metric label sees the value, so nothing else needs to defend against
 * traversal, encoding tricks or label-cardinality attacks.
 */
export const RESOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidResourceName(value: unknown): value is string {
  return typeof value === "string" && RESOURCE_NAME_PATTERN.test(value);
}

export type ResourceType = "sdlc" | "patterns" | "templates";
export const RESOURCE_TYPES: readonly ResourceType[] = ["sdlc", "patterns", "templates"];

/** One addressable resource: where it lives on disk, its cache key and its MCP URI. */
export interface ResourceRef {
  readonly type: ResourceType;
  /** Path segments under CONTENT_DIR, already validated; the last gets `.md`. */
  readonly segments: readonly string[];
  readonly cacheKey: string;
  readonly uri: string;
}

export const sdlcCoreRef: ResourceRef = Object.freeze({
  type: "sdlc",
  segments: ["sdlc", "core"],
  cacheKey: "resource:sdlc:core",
  uri: "sdlc://core",
});

export function patternRef(language: string, name: string): ResourceRef {
  return {
    type: "patterns",
    segments: ["patterns", language, name],
    cacheKey: `resource:patterns:${language}:${name}`,
    uri: `sdlc://patterns/${language}/${name}`,
  };
}

export function templateRef(artifactType: string): ResourceRef {
  return {
    type: "templates",
    segments: ["templates", artifactType],
    cacheKey: `resource:templates:${artifactType}`,
    uri: `sdlc://templates/${artifactType}`,
  };
}
