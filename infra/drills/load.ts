/**
 * Steady background traffic for drills: the runbook's access pattern (lib/workload/plan.ts)
 * at a fixed, modest request rate, open loop.
 *
 * Why not the autocannon engine of loadtest/: it is closed loop (each connection waits for
 * its answer), so a slow or stopped service would also slow the traffic that is supposed to
 * reveal it, and it reports one summary at the end. A drill needs a constant arrival rate
 * whatever the fault does (2 cores stay responsive at 40 req/s) and every request with its
 * timestamp, to slice "before", "during" and "after" the fault.
 */

import type { ResourceType } from "../../lib/contract/resource-kinds.js";
import type { Endpoint } from "../../lib/workload/access-pattern.js";
import { checkResponse } from "../../lib/workload/checks.js";
import { type ParsedBaseUrl, parseBaseUrl } from "../../lib/workload/load-target.js";
import { pickRequest, type Random, seededRandom } from "../../lib/workload/plan.js";

export interface LoadSample {
  /** Epoch ms when the request was sent. */
  readonly at: number;
  readonly ms: number;
  /** Path and query, as sent. */
  readonly path: string;
  readonly resourceType: ResourceType;
  readonly endpoint: Endpoint;
  /** 0 when no response arrived (refused, reset, timed out). */
  readonly status: number;
  /** Why the request counts as failed (the shared workload's checks); undefined when it passed. */
  readonly failure?: string;
  readonly cache?: "hit" | "miss";
}

export interface LoadOptions {
  /** Requests per second (default 40). */
  readonly rate?: number;
  /** A request without an answer after this is a failure (default 5 s). */
  readonly timeoutMs?: number;
  /** At most this many requests in flight; beyond it a tick is skipped, not queued. */
  readonly maxInFlight?: number;
  readonly seed?: number;
}

export class BackgroundLoad {
  readonly target: ParsedBaseUrl;
  private readonly rate: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly random: Random;
  private readonly recorded: LoadSample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private sent = 0;
  /** Ticks skipped because maxInFlight requests were outstanding (reported, never hidden). */
  skipped = 0;

  constructor(baseUrl: string, options: LoadOptions = {}) {
    // Refuses anything but loopback: drills never send load off this machine.
    this.target = parseBaseUrl(baseUrl);
    this.rate = options.rate ?? 40;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxInFlight = options.maxInFlight ?? 200;
    this.random = options.seed === undefined ? Math.random : seededRandom(options.seed);
  }

  start(): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    this.sent = 0;
    // A 20 ms tick sends whatever the schedule owes, so timer jitter does not change the rate.
    this.timer = setInterval(() => {
      const owed = Math.floor(((Date.now() - this.startedAt) / 1000) * this.rate) - this.sent;
      for (let i = 0; i < owed; i++) {
        this.sent++;
        if (this.inFlight.size >= this.maxInFlight) {
          this.skipped++;
          continue;
        }
        const request = this.send();
        this.inFlight.add(request);
        void request.finally(() => this.inFlight.delete(request));
      }
    }, 20);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Samples sent in [from, to) (epoch ms); all of them without bounds. */
  samples(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): LoadSample[] {
    return this.recorded.filter((s) => s.at >= from && s.at < to);
  }

  private async send(): Promise<void> {
    const planned = pickRequest(this.random);
    const at = Date.now();
    const started = performance.now();
    let status = 0;
    let failure: string | undefined;
    let cache: string | null = null;
    try {
      const response = await fetch(`${this.target.origin}${planned.path}`, {
        headers: { accept: "application/json", "user-agent": "mcp-drill-load" },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = await response.text();
      status = response.status;
      cache = response.headers.get("x-cache");
      failure = checkResponse(planned.expect, status, body);
    } catch (error) {
      failure = describeError(error);
    }
    const c = cache?.toLowerCase();
    this.recorded.push({
      at,
      ms: performance.now() - started,
      path: planned.path,
      resourceType: planned.resourceType,
      endpoint: planned.endpoint,
      status,
      ...(failure === undefined ? {} : { failure }),
      ...(c === "hit" || c === "miss" ? { cache: c } : {}),
    });
  }
}

function describeError(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string }; message?: string };
  if (e?.name === "TimeoutError") return "timeout";
  return `connection error: ${e?.cause?.code ?? e?.message ?? String(error)}`;
}
