import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  matchResourceUri,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceRef,
  uriTemplate,
} from "../../../lib/contract/resource-kinds.js";
import { RESOURCE_NAME_PATTERN } from "../../../lib/contract/resource-names.js";

/** The URIs and URI templates the kinds answer to, for error messages. */
const EXPECTED = `expected ${(RESOURCE_KINDS as readonly ResourceKind[]).map(uriTemplate).join(", ")}`;

/** Client text echoed in an error message: quoted, and never more than a line's worth. */
function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

function invalidParams(message: string, uri: string): McpError {
  return new McpError(ErrorCode.InvalidParams, message, { uri });
}

/**
 * Turns a client-supplied resource URI into the same ResourceRef the REST routes build, or
 * throws JSON-RPC -32602. Matching is the contract's (lib/contract/resource-kinds.ts): the
 * exact string the client sent, never URL-parsed or percent-decoded, every name checked by
 * the name rule before any path, cache key or metric label is built from it.
 */
export function parseResourceUri(uri: string): ResourceRef {
  const match = matchResourceUri(uri);
  if (match.ok) return match.ref;
  if (match.reason === "invalid-name") {
    throw invalidParams(
      `Invalid resource URI ${quote(uri)}: ${match.param} ${quote(match.value)} is not a valid name ` +
        `(names match ${RESOURCE_NAME_PATTERN.source})`,
      uri,
    );
  }
  throw invalidParams(`Unknown resource URI ${quote(uri)}: ${EXPECTED}`, uri);
}

export function resourceNotFound(uri: string): McpError {
  return invalidParams(`Resource not found: ${quote(uri)}`, uri);
}
