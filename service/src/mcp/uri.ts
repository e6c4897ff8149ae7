import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  isValidResourceName,
  patternRef,
  RESOURCE_NAME_PATTERN,
  type ResourceRef,
  sdlcCoreRef,
  templateRef,
} from "../resource-names.js";

export const SDLC_CORE_URI = sdlcCoreRef.uri;
export const PATTERN_URI_TEMPLATE = "sdlc://patterns/{language}/{name}";
export const TEMPLATE_URI_TEMPLATE = "sdlc://templates/{artifact_type}";

const SCHEME = "sdlc://";
const EXPECTED = `expected ${SDLC_CORE_URI}, ${PATTERN_URI_TEMPLATE} or ${TEMPLATE_URI_TEMPLATE}`;

/** Client text echoed in an error message: quoted, and never more than a line's worth. */
function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

function invalidParams(message: string, uri: string): McpError {
  return new McpError(ErrorCode.InvalidParams, message, { uri });
}

function requireName(variable: string, value: string, uri: string): string {
  if (isValidResourceName(value)) return value;
  throw invalidParams(
    `Invalid resource URI ${quote(uri)}: ${variable} ${quote(value)} is not a valid name ` +
      `(names match ${RESOURCE_NAME_PATTERN.source})`,
    uri,
  );
}

/**
 * Turns a client-supplied resource URI into the same ResourceRef the REST routes build, or
 * throws JSON-RPC -32602. The URI is matched as the exact string the client sent: it is
 * never URL-parsed (which would resolve `..` segments) and never percent-decoded, and every
 * variable must match the name pattern, so `%2F`, `..` or `Core` fail here, before any
 * path, cache key or metric label is built from them.
 */
export function parseResourceUri(uri: string): ResourceRef {
  if (uri === SDLC_CORE_URI) return sdlcCoreRef;
  if (!uri.startsWith(SCHEME)) throw invalidParams(`Unknown resource URI ${quote(uri)}: ${EXPECTED}`, uri);
  const [kind, ...variables] = uri.slice(SCHEME.length).split("/");
  if (kind === "patterns" && variables.length === 2) {
    const [language = "", name = ""] = variables;
    return patternRef(requireName("language", language, uri), requireName("name", name, uri));
  }
  if (kind === "templates" && variables.length === 1) {
    return templateRef(requireName("artifact_type", variables[0] ?? "", uri));
  }
  throw invalidParams(`Unknown resource URI ${quote(uri)}: ${EXPECTED}`, uri);
}

export function resourceNotFound(uri: string): McpError {
  return invalidParams(`Resource not found: ${quote(uri)}`, uri);
}
