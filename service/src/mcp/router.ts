import { hostHeaderValidation } from "@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { type RequestHandler, type Response, Router } from "express";
import type { Logger } from "pino";
import { MCP_LIMIT_EXCEEDED, MCP_PATH } from "../../../lib/contract/mcp.js";
import type { CatalogSource } from "../content-catalog.js";
import { type InflightLimit, inflightGuard, RETRY_AFTER_SECONDS } from "../http/inflight-limit.js";
import { requestLog } from "../http/request-context.js";
import type { McpLimit } from "../metric-labels.js";
import type { ServiceMetrics } from "../metrics.js";
import type { ResourceLoader } from "../resource-loader.js";
import { type McpRequestLimits, RequestBudget } from "./budget.js";
import { createMcpServer } from "./server.js";

export interface McpRouterDeps {
  loader: ResourceLoader;
  /** What resources/list and completion/complete answer from (shared with readiness). */
  catalog: CatalogSource;
  logger: Logger;
  /** Host-header allow-list (DNS-rebinding protection); undefined turns the check off. */
  allowedHosts: readonly string[] | undefined;
  /** Largest JSON-RPC request body accepted (413 above). */
  maxRequestBodyBytes?: number;
  /** What one POST may cost: reads per batch, response bytes. */
  limits: McpRequestLimits;
  /** In-flight bounds a POST must fit in (the service's and MCP's own); 503 when full. */
  inflight: readonly InflightLimit[];
  metrics: ServiceMetrics;
}

/** A resources/read is ~150 bytes; 64 KiB leaves room for any sane batch and no more. */
const DEFAULT_MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** A JSON-RPC error with no request id, in the shape the SDK's transport uses for HTTP-level refusals. */
function jsonRpcError(code: number, message: string) {
  return { jsonrpc: "2.0", error: { code, message }, id: null } as const;
}

/**
 * POST /mcp: the Model Context Protocol over stateless Streamable HTTP. Every POST gets a
 * fresh server and transport (the SDK's rule for stateless mode: a transport must never
 * see two clients' request ids) and JSON responses instead of SSE. GET (the standalone SSE
 * stream) and DELETE (session end) mean nothing without sessions: 405.
 *
 * No JSON body parser is mounted, here or anywhere: the transport reads the body itself,
 * with a size limit, and answers malformed JSON or JSON-RPC with its own 400 / -32700, a
 * wrong Accept with 406 and a wrong Content-Type with 415, before any handler runs.
 * Only exact `/mcp` routes are registered (never `router.use("/mcp")`), so the REST
 * routes under /mcp/resources/ are untouched by the Host check.
 */
export function createMcpRouter(deps: McpRouterDeps): Router {
  const { loader, catalog, logger, metrics } = deps;
  const overloadGuard = inflightGuard<Response>(deps.inflight, { metrics, logger }, (res) => {
    res
      .status(503)
      .json(
        jsonRpcError(
          MCP_LIMIT_EXCEEDED,
          `Server busy: too many requests in progress; retry after ${RETRY_AFTER_SECONDS} s`,
        ),
      );
  });
  const onLimited = (limit: McpLimit) => metrics.mcpLimited.inc({ limit });
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const maxRequestBodySize = deps.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
  // The SDK's own DNS-rebinding guard: 403 with a JSON-RPC error for a Host not listed.
  const hostCheck: RequestHandler[] = deps.allowedHosts ? [hostHeaderValidation([...deps.allowedHosts])] : [];

  const router = Router({ caseSensitive: true, strict: true });

  router.post(MCP_PATH, ...hostCheck, overloadGuard, async (req, res) => {
    const log = requestLog(req, logger);
    const budget = new RequestBudget(deps.limits, onLimited);
    const server = createMcpServer({ loader, catalog, logger: log, jsonSchemaValidator, budget });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize,
    });
    // Protocol-level refusals (406, 415, parse errors) are client errors, in the access log.
    transport.onerror = (error) => log.debug({ err: error }, "mcp transport refused a message");
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      log.error({ err: error }, "mcp request failed");
      if (!res.headersSent) res.status(500).json(jsonRpcError(-32603, "Internal server error"));
    }
  });

  router.all(MCP_PATH, ...hostCheck, (_req, res) => {
    res.setHeader("Allow", "POST");
    res
      .status(405)
      .json(jsonRpcError(-32000, "Method not allowed: this stateless MCP endpoint takes POST only"));
  });

  return router;
}
