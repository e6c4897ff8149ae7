import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { MCP_LIMIT_EXCEEDED } from "../../../lib/contract/mcp.js";
import type { McpLimit } from "../metric-labels.js";

export interface McpRequestLimits {
  /** resources/read calls one POST (one message or a batch) may make. */
  readonly maxBatchReads: number;
  /** Bytes of resource bodies and listings one POST's response may carry. */
  readonly maxResponseBytes: number;
}

/**
 * What one POST /mcp may cost. A JSON-RPC batch of a hundred reads in a 10 KB request would
 * otherwise become a 12 MB response, its JSON built and parsed in this process: the work one
 * request causes is bounded by the number of reads and by the bytes of the response, and a
 * call past either bound gets a JSON-RPC error saying which, instead of a result.
 */
export class RequestBudget {
  #reads = 0;
  #bytes = 0;

  constructor(
    private readonly limits: McpRequestLimits,
    private readonly onLimited: (limit: McpLimit) => void,
  ) {}

  /** Before a read: refuses it past maxBatchReads. */
  takeRead(): void {
    this.#reads += 1;
    if (this.#reads <= this.limits.maxBatchReads) return;
    this.onLimited("batch_reads");
    throw new McpError(
      MCP_LIMIT_EXCEEDED,
      `Too many reads in one request: at most ${this.limits.maxBatchReads} resources/read per POST (MCP_MAX_BATCH_READS); send the rest in another request`,
      { limit: "batch_reads", max: this.limits.maxBatchReads },
    );
  }

  /** Before a result of `bytes` joins the response: refuses it past maxResponseBytes. */
  takeBytes(what: string, bytes: number): void {
    if (this.#bytes + bytes <= this.limits.maxResponseBytes) {
      this.#bytes += bytes;
      return;
    }
    this.onLimited("response_bytes");
    throw new McpError(
      MCP_LIMIT_EXCEEDED,
      `Response too large: ${what} (${bytes} bytes) would take this request's response past ${this.limits.maxResponseBytes} bytes (MCP_MAX_RESPONSE_BYTES); request it separately`,
      { limit: "response_bytes", max: this.limits.maxResponseBytes },
    );
  }
}
