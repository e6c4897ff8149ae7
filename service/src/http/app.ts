import type { RequestListener } from "node:http";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { Logger } from "pino";
import type { CatalogSource } from "../content-catalog.js";
import type { ContentStore } from "../content-store.js";
import type { ServiceMetrics } from "../metrics.js";
import type { ResourceCache } from "../resource-cache.js";
import type { ResourceLoader } from "../resource-loader.js";
import { OPENMETRICS_CONTENT_TYPE, prefersOpenMetrics, renderOpenMetrics } from "../telemetry/openmetrics.js";
import { answerError } from "./answer-error.js";
import type { ConnectionDrain } from "./drain.js";
import { type InflightLimit, inflightGuard, RETRY_AFTER_SECONDS } from "./inflight-limit.js";
import { notFound, sendProblem } from "./problem.js";
import { requestContext } from "./request-context.js";
import { resourceLane } from "./resource-lane.js";
import { addResourceRoutes } from "./resource-routes.js";

export interface AppDeps {
  logger: Logger;
  metrics: ServiceMetrics;
  loader: ResourceLoader;
  store: ContentStore;
  cache: ResourceCache;
  defaultLanguage: string;
  /** What the content directory offers; readiness needs at least one servable resource. */
  catalog: CatalogSource;
  /** False once shutdown has begun, so load balancers stop sending work. */
  isAccepting: () => boolean;
  /** Shutdown's view of connections and requests (Connection: close while draining). */
  drain: Pick<ConnectionDrain, "track">;
  /** The in-flight bound of the resource routes (MAX_INFLIGHT_REQUESTS). */
  inflight: InflightLimit;
  /** Extra routers mounted after the resource routes (MCP). */
  extraRouters?: express.Router[];
  /** Fault control routes and per-request faults; present only when FAULTS_ENABLED. */
  faultRouters?: express.Router[];
  faultMiddleware?: RequestHandler;
}

/**
 * The HTTP server's request listener: the Express app, with the resource lane in front of it
 * for plain resource reads (see resourceLane) unless drill faults are on.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const { logger, metrics, store, cache } = deps;
  const app = express();
  app.disable("x-powered-by");
  // Resource routes send their own strong ETag computed once per cache fill.
  app.disable("etag");

  // Set before the app's router is first touched (it reads them when it is created).
  app.enable("case sensitive routing");
  app.enable("strict routing");

  const context = requestContext({ logger, metrics, drain: deps.drain });
  app.use(context.middleware);
  const overloadGuard = inflightGuard([deps.inflight], { metrics, logger }, (res) =>
    sendProblem(res, {
      type: "/problems/overloaded",
      title: "Service overloaded",
      status: 503,
      detail: `too many requests in progress; retry after ${RETRY_AFTER_SECONDS} s`,
    }),
  );
  const resourceDeps = {
    loader: deps.loader,
    catalog: deps.catalog,
    defaultLanguage: deps.defaultLanguage,
    overloadGuard,
  };
  // The resource routes first, on the app's own router: they are nearly all of the traffic
  // that reaches Express, and Express tries each layer in order.
  addResourceRoutes(app.router, {
    ...resourceDeps,
    ...(deps.faultMiddleware ? { faultMiddleware: deps.faultMiddleware } : {}),
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  /** Servable: the root can be listed and at least one resource's file opened and read. */
  async function contentState(): Promise<"ok" | "unreadable" | "empty"> {
    if (!(await store.isReadable())) return "unreadable";
    try {
      return (await deps.catalog.get()).resources.length > 0 ? "ok" : "empty";
    } catch {
      return "unreadable";
    }
  }

  app.get("/readyz", async (_req, res) => {
    const content = await contentState();
    const contentOk = content === "ok";
    const cacheState = cache.state();
    const cacheOk = cacheState === "ok";
    const ready = contentOk && deps.isAccepting();
    res.status(ready ? 200 : 503).json({
      status: ready ? (cacheOk ? "ready" : "degraded") : "not_ready",
      checks: {
        content,
        // Redis down, silent or refusing writes is degraded, not unready: every resource is
        // still served from disk.
        cache: cacheOk ? "ok" : "degraded",
        cacheState,
        accepting: deps.isAccepting(),
      },
    });
  });

  app.get("/metrics", async (req, res) => {
    // Classic text by default; OpenMetrics (with exemplars) when the scraper asks for it.
    const openMetrics = prefersOpenMetrics(req.headers.accept);
    const body = openMetrics ? await renderOpenMetrics(metrics.registry) : await metrics.registry.metrics();
    res.setHeader("Content-Type", openMetrics ? OPENMETRICS_CONTENT_TYPE : metrics.registry.contentType);
    res.setHeader("Vary", "Accept");
    res.setHeader("Cache-Control", "no-store");
    res.end(req.method === "HEAD" ? undefined : body);
  });

  for (const router of deps.faultRouters ?? []) app.use(router);
  for (const router of deps.extraRouters ?? []) app.use(router);

  app.use((req, _res, next) => {
    next(notFound(`no route for ${req.method} ${req.path}`));
  });

  const onError: ErrorRequestHandler = (error, req, res, _next) => answerError(error, req, res, logger);
  app.use(onError);

  // With drill faults on, every request takes the routes, where the faults run after the match.
  if (deps.faultMiddleware) return app;
  return resourceLane({ ...resourceDeps, begin: context.begin, logger }, app);
}
