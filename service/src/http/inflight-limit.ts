import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { OverloadScope } from "../metric-labels.js";
import type { ServiceMetrics } from "../metrics.js";
import { rateLimited } from "../rate-limited.js";
import { quietAccessLog } from "./request-context.js";

/**
 * A middleware in node:http terms: the routes mount it (Express passes its own request and
 * response, which are these), and the resource lane calls it before Express has seen the request.
 */
export type PlainHandler<Res extends ServerResponse = ServerResponse> = (
  req: IncomingMessage,
  res: Res,
  next: () => void,
) => void;

/** Seconds a refused client is asked to wait (Retry-After): the time a burst takes to drain. */
export const RETRY_AFTER_SECONDS = 1;

/** A count of requests in progress with a ceiling. */
export class InflightLimit {
  #inflight = 0;

  constructor(
    readonly scope: OverloadScope,
    readonly max: number,
  ) {}

  get inflight(): number {
    return this.#inflight;
  }

  take(): boolean {
    if (this.#inflight >= this.max) return false;
    this.#inflight += 1;
    return true;
  }

  release(): void {
    this.#inflight -= 1;
  }
}

/**
 * Admits a request only while every one of `limits` has room, holding a slot in each until
 * its response closes; otherwise `refuse` answers at once (503, Retry-After). Past the
 * bound, more concurrent work would only make every request slower and the process bigger
 * (the collapse a flood of MCP batches caused); refusing fast keeps the admitted ones fast
 * and tells clients and balancers to back off. Mounted on the work routes only: health,
 * readiness and metrics stay answerable under overload.
 */
export function inflightGuard<Res extends ServerResponse = ServerResponse>(
  limits: readonly InflightLimit[],
  deps: { metrics: ServiceMetrics; logger: Logger },
  refuse: (res: Res) => void,
): PlainHandler<Res> {
  const { metrics, logger } = deps;
  const counted = limits.find((limit) => limit.scope === "service");
  let lastRefusal: InflightLimit | undefined;
  const warn = rateLimited(10_000, (suppressed) =>
    logger.warn(
      { scope: lastRefusal?.scope, max: lastRefusal?.max, refusedSinceLastWarning: suppressed + 1 },
      "overloaded: refusing requests with 503 (MAX_INFLIGHT_REQUESTS / MCP_MAX_INFLIGHT)",
    ),
  );
  return (_req, res, next) => {
    for (const [index, limit] of limits.entries()) {
      if (limit.take()) continue;
      for (const taken of limits.slice(0, index)) taken.release();
      metrics.overloadRejections.inc({ scope: limit.scope });
      lastRefusal = limit;
      warn();
      res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
      quietAccessLog(res);
      refuse(res);
      return;
    }
    if (counted) metrics.inflightRequests.inc();
    res.once("close", () => {
      for (const limit of limits) limit.release();
      if (counted) metrics.inflightRequests.dec();
    });
    next();
  };
}
