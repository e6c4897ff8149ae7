/**
 * Label values of the service's own metrics that name why or where something happened. The
 * modules that decide them and the metrics module that zero-initialises their series both
 * import them from here, so neither depends on the other for a list of strings.
 */

/** Why an entry left the in-process tier; the `reason` label of its drop counter. */
export const LOCAL_DROP_REASONS = [
  "invalidated",
  "flushed",
  "disconnected",
  "unresponsive",
  "capacity",
  "age",
] as const;
export type LocalDropReason = (typeof LOCAL_DROP_REASONS)[number];

/** Why a value read from Redis was refused; the `reason` label of its counter. */
export const INVALID_ENTRY_REASONS = ["format", "checksum", "etag", "ttl"] as const;
export type InvalidEntryReason = (typeof INVALID_ENTRY_REASONS)[number];

/** Which bound refused a request; the `scope` label of the rejection counter. */
export const OVERLOAD_SCOPES = ["service", "mcp"] as const;
export type OverloadScope = (typeof OVERLOAD_SCOPES)[number];

/** Which bound a refused request hit; the `limit` label of its counter. */
export const MCP_LIMITS = ["batch_reads", "response_bytes"] as const;
export type McpLimit = (typeof MCP_LIMITS)[number];

/** How one health probe ended: answered, no answer in time, or refused/failed. */
export type ProbeResult = "ok" | "timeout" | "error";
export const PROBE_RESULTS: readonly ProbeResult[] = ["ok", "timeout", "error"];
