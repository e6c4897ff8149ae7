/**
 * The MCP endpoint on the wire, as plain data: what a client that does not use the SDK (a
 * k6 script, the load workload, curl) sends to read one resource, and where the service
 * serves it. No imports: k6 loads it as it is.
 *
 * The endpoint is stateless: no `initialize` round trip and no session header are needed;
 * every POST is answered on its own with `200 application/json` holding one JSON-RPC
 * response (`result` on success, `error` with code -32602 for a bad or unknown URI).
 */

/**
 * The JSON-RPC error code (server-defined range, like HTTP 429) of a call refused because its
 * request went past a bound: too many reads in one batch, a response too large, or (at the
 * HTTP level, with status 503 and Retry-After) too many MCP requests in progress.
 */
export const MCP_LIMIT_EXCEEDED = -32029;

/** Where the Streamable HTTP endpoint listens. */
export const MCP_PATH = "/mcp";

/** A protocol revision the service's SDK supports (checked by service/test/mcp.test.ts). */
export const MCP_PROTOCOL_VERSION = "2025-11-25";

/**
 * Headers every POST /mcp needs. Accept must name both types even though the service always
 * answers JSON: the Streamable HTTP transport answers 406 otherwise.
 */
export const MCP_REQUEST_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
  "MCP-Protocol-Version": MCP_PROTOCOL_VERSION,
});

/** One HTTP request, ready for `http.request(method, baseUrl + path, body, { headers })`. */
export interface McpHttpRequest {
  readonly method: "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON-RPC request, serialized. */
  readonly body: string;
}

/**
 * A `resources/read` of `uri` (e.g. `sdlc://patterns/python/core`, `sdlc://templates/prd`,
 * `sdlc://core`). A successful answer's `result.contents[0].text` is byte-identical to the
 * REST route's `contents[0].text`, through the same cache key and `mcp_resource_*` metrics.
 */
export function mcpReadResourceRequest(uri: string, id: number | string = 1): McpHttpRequest {
  return {
    method: "POST",
    path: MCP_PATH,
    headers: MCP_REQUEST_HEADERS,
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "resources/read", params: { uri } }),
  };
}

/** The shape of a successful answer's body, for checks in load scripts. */
export interface McpReadResourceResponse {
  jsonrpc: "2.0";
  id: number | string;
  result?: { contents: Array<{ uri: string; mimeType?: string; text?: string }> };
  error?: { code: number; message: string; data?: unknown };
}

/** True when `body` (the response text) is a successful read of `uri`. */
export function isMcpReadSuccess(body: string, uri: string): boolean {
  try {
    const parsed = JSON.parse(body) as McpReadResourceResponse;
    const first = parsed.result?.contents[0];
    return parsed.error === undefined && first?.uri === uri && typeof first.text === "string";
  } catch {
    return false;
  }
}
