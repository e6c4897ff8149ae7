import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  type CompleteRequest,
  CompleteRequestSchema,
  type CompleteResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import type { Logger } from "pino";
import { z } from "zod";
import { RESOURCE_KINDS, type ResourceKind, uriTemplate } from "../../../lib/contract/resource-kinds.js";
import { type CatalogSource, nameChoices } from "../content-catalog.js";
import { ResourceNotFoundError } from "../content-store.js";
import { RESOURCE_MIME_TYPE, type ReadResourceBody } from "../resource-body.js";
import type { ResourceLoader } from "../resource-loader.js";
import type { RequestBudget } from "./budget.js";
import { parseResourceUri, resourceNotFound } from "./uri.js";

export const SERVER_INFO = Object.freeze({
  name: "mcp-resource-service",
  title: "SDLC framework resources",
  version: "0.1.0",
});

const INSTRUCTIONS =
  "Read-only SDLC framework resources. Start with sdlc://core (the framework core), then the " +
  "implementation patterns for your language at sdlc://patterns/{language}/{name} and the " +
  "artifact templates at sdlc://templates/{artifact_type}. resources/list names every file; " +
  "completion/complete suggests languages, pattern names and artifact types.";

/** The MCP resource templates of the kinds that have one (lib/contract/resource-kinds.ts). */
export const RESOURCE_TEMPLATES: readonly ResourceTemplate[] = Object.freeze(
  (RESOURCE_KINDS as readonly ResourceKind[]).flatMap((kind) =>
    kind.mcpTemplate
      ? [
          {
            uriTemplate: uriTemplate(kind),
            name: kind.mcpTemplate.name,
            title: kind.mcpTemplate.title,
            description: kind.mcpTemplate.description,
            mimeType: RESOURCE_MIME_TYPE,
          },
        ]
      : [],
  ),
);

/**
 * The `contents` of a cached body, parsed once per body: a hit from the in-process tier hands
 * out the same Buffer every time, so repeated reads of a resource skip the JSON.parse. Held
 * only as long as the Buffer is (the tier's entry); results are serialized, never mutated.
 */
const parsedBodies = new WeakMap<Buffer, ReadResourceBody["contents"]>();
function parsedContents(bytes: Buffer): ReadResourceBody["contents"] {
  let contents = parsedBodies.get(bytes);
  if (!contents) {
    contents = (JSON.parse(bytes.toString("utf8")) as ReadResourceBody).contents;
    parsedBodies.set(bytes, contents);
  }
  return contents;
}

/** The protocol's cap on completion values per answer. */
const MAX_COMPLETIONS = 100;

export interface McpServerDeps {
  loader: ResourceLoader;
  catalog: CatalogSource;
  logger: Logger;
  /** Shared across requests: the SDK would otherwise build an Ajv instance per server. */
  jsonSchemaValidator: jsonSchemaValidator;
  /** What this server's one HTTP request may still cost (reads, response bytes). */
  budget: RequestBudget;
}

/**
 * Client errors pass through as they are; anything else is logged here and answered with a
 * plain -32603, so no file path or stack from an I/O error reaches the client.
 */
async function guarded<T>(logger: Logger, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof McpError) throw error;
    logger.error({ err: error }, `mcp ${what} failed`);
    throw new McpError(ErrorCode.InternalError, `Internal error during ${what}`);
  }
}

/**
 * A request schema that takes any params. The SDK validates a request against the handler's
 * schema before the handler runs and answers a mismatch (a resources/read without a string
 * `uri`, say) with -32603 Internal error; with this, the handler validates against the
 * SDK's own schema itself (`validParams`) and a malformed request is the client's -32602.
 */
function anyParams<M extends string>(method: M) {
  return z.object({ method: z.literal(method), params: z.unknown().optional() });
}

function validParams<T>(schema: z.ZodType<T>, request: unknown): T {
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "request"}: ${issue.message}`)
    .join("; ");
  throw new McpError(ErrorCode.InvalidParams, `Invalid request: ${detail}`);
}

/**
 * One MCP server for one HTTP request (stateless Streamable HTTP). It is built on the SDK's
 * low-level `Server` rather than `McpServer`: `McpServer` always advertises
 * `resources.listChanged`, which a stateless server has no channel to honour, and it
 * URL-parses read URIs (normalising `..` segments and answering -32603 for unparseable ones)
 * before its own template matching. Here the capabilities are exactly `resources` (no
 * `subscribe`, no `listChanged`) and `completions`, and every read goes through the same
 * parse-and-validate step and the same loader as the REST routes.
 */
export function createMcpServer({
  loader,
  catalog,
  logger,
  jsonSchemaValidator,
  budget,
}: McpServerDeps): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { resources: {}, completions: {} },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator,
  });

  server.setRequestHandler(anyParams("resources/list"), (request) =>
    guarded(logger, "resources/list", async () => {
      // One page: the whole catalog is a few dozen entries.
      validParams(ListResourcesRequestSchema, request);
      const { resources, listBytes } = await catalog.get();
      budget.takeBytes("resources/list", listBytes);
      return { resources: [...resources] };
    }),
  );

  server.setRequestHandler(anyParams("resources/templates/list"), async (request) => {
    validParams(ListResourceTemplatesRequestSchema, request);
    return { resourceTemplates: [...RESOURCE_TEMPLATES] };
  });

  server.setRequestHandler(anyParams("resources/read"), (request) =>
    guarded(logger, "resources/read", async (): Promise<ReadResourceResult> => {
      const { uri } = validParams(ReadResourceRequestSchema, request).params;
      const ref = parseResourceUri(uri);
      budget.takeRead();
      try {
        // The REST route's exact body bytes (from Redis on a hit): same key, same metrics.
        const loaded = await loader.load(ref, "identity");
        // Counted before the body is parsed and joins the response, not after.
        budget.takeBytes(uri, loaded.bytes.length);
        return { contents: parsedContents(loaded.bytes) };
      } catch (error) {
        if (error instanceof ResourceNotFoundError) throw resourceNotFound(uri);
        throw error;
      }
    }),
  );

  server.setRequestHandler(anyParams("completion/complete"), (request) =>
    guarded(logger, "completion/complete", () =>
      complete(catalog, validParams(CompleteRequestSchema, request).params),
    ),
  );

  return server;
}

async function complete(catalog: CatalogSource, params: CompleteRequest["params"]): Promise<CompleteResult> {
  const { ref, argument, context } = params;
  if (ref.type !== "ref/resource") {
    throw new McpError(
      ErrorCode.InvalidParams,
      "This server offers no prompts; only resource templates complete",
    );
  }
  const kind = (RESOURCE_KINDS as readonly ResourceKind[]).find(
    (k) => k.mcpTemplate && uriTemplate(k) === ref.uri,
  );
  if (!kind) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Unknown resource template ${JSON.stringify(ref.uri.slice(0, 200))}: expected ${RESOURCE_TEMPLATES.map((t) => t.uriTemplate).join(" or ")}`,
    );
  }
  const candidates = nameChoices(await catalog.get(), kind, argument.name, context?.arguments ?? {});
  const matches = candidates.filter((candidate) => candidate.startsWith(argument.value));
  return {
    completion: {
      values: matches.slice(0, MAX_COMPLETIONS),
      total: matches.length,
      hasMore: matches.length > MAX_COMPLETIONS,
    },
  };
}
