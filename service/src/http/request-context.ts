import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { histogramSeries, SeriesCache } from "../metric-series.js";
import type { ServiceMetrics } from "../metrics.js";
import type { ConnectionDrain } from "./drain.js";

/**
 * What every request gets first, whichever way it is answered (the resource lane before
 * Express, or the app): request id, access log, HTTP metrics and the drain signal, with a
 * single `finish` listener. Not pino-http: its per-request child logger
 * and listeners cost more CPU than a cache hit itself (about 9% of the process in
 * `task perf:profile`); here the child logger is made only when something logs.
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CONTEXT = Symbol("requestContext");
const QUIET = Symbol("quietAccessLog");
const ROUTE = Symbol("routeLabel");

/**
 * This response's access line logs at debug whatever its status: for refusals that are
 * counted and warned about elsewhere (overload 503s), where a line each at error level would
 * flood the log exactly when the process has the least time for it.
 */
export function quietAccessLog(res: ServerResponse): void {
  (res as ServerResponse & { [QUIET]?: boolean })[QUIET] = true;
}

interface RequestContext {
  readonly id: string;
  log?: Logger;
}

/** Express's additions to a request, when Express handled it. */
interface ExpressFields {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

type WithContext = IncomingMessage & ExpressFields & { [CONTEXT]?: RequestContext; [ROUTE]?: string };

/** The request's logger (bound to its id, method and URL), made on first use. */
export function requestLog(req: IncomingMessage, base: Logger): Logger {
  const r = req as WithContext;
  const context = r[CONTEXT];
  if (!context) return base;
  context.log ??= base.child({
    reqId: context.id,
    req: { method: req.method, url: r.originalUrl ?? req.url },
  });
  return context.log;
}

/** For handlers that answer without Express's router: the route template they stand for. */
export function setRouteLabel(req: IncomingMessage, route: string): void {
  (req as WithContext)[ROUTE] = route;
}

/** The route template (never the raw path) that a request matched, for metric labels. */
function routeLabel(req: WithContext): string {
  const given = req[ROUTE];
  if (given !== undefined) return given;
  const path = req.route?.path;
  return typeof path === "string" ? (req.baseUrl ?? "") + path : "unmatched";
}

/** Starts a request's context; once per request, before anything answers it. */
export type BeginRequest = (req: IncomingMessage, res: ServerResponse) => void;

export function requestContext(deps: {
  logger: Logger;
  metrics: ServiceMetrics;
  /** Tracks each request so that shutdown can close its connection after the response. */
  drain: Pick<ConnectionDrain, "track">;
}): { begin: BeginRequest; middleware: RequestHandler } {
  const { logger, metrics, drain } = deps;
  const durations = new SeriesCache((key) => {
    const [method = "", route = "", status = ""] = key.split("\n");
    return histogramSeries(metrics.httpDuration, { method, route, status_code: status });
  });

  function finished(req: IncomingMessage, res: ServerResponse, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    const status = res.statusCode;
    durations.get(`${req.method}\n${routeLabel(req)}\n${status}`)(seconds);
    // Successful requests log at debug: an access log line per request at 1,000+ req/s
    // costs more CPU than the request itself. Client and server errors always log.
    const quiet = (res as ServerResponse & { [QUIET]?: boolean })[QUIET] === true;
    const level = quiet ? "debug" : status >= 500 ? "error" : status >= 400 ? "warn" : "debug";
    if (!logger.isLevelEnabled(level)) return;
    requestLog(req, logger)[level](
      { res: { statusCode: status }, responseTime: Math.round(seconds * 1e6) / 1e3 },
      "request completed",
    );
  }

  const begin: BeginRequest = (req, res) => {
    const started = performance.now();
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    (req as WithContext)[CONTEXT] = { id };
    res.setHeader("X-Request-Id", id);
    // While draining, answer what is in flight and let the client reconnect elsewhere.
    drain.track(req, res);
    res.once("finish", () => finished(req, res, started));
  };
  return {
    begin,
    middleware: (req, res, next) => {
      begin(req, res);
      next();
    },
  };
}
