import type { Request, RequestHandler, Response, Router } from "express";
import type { ContentStore } from "../content-store.js";
import { expiringValue } from "../expiring-value.js";
import { RESOURCE_MIME_TYPE, strongEtag } from "../resource-body.js";
import type { ResourceLoader } from "../resource-loader.js";
import {
  isValidResourceName,
  patternRef,
  type ResourceRef,
  sdlcCoreRef,
  templateRef,
} from "../resource-names.js";
import { chooseEncoding, etagMatches } from "./negotiation.js";
import { HttpProblem, invalidName, notFound } from "./problem.js";

export interface ResourceRoutesDeps {
  loader: ResourceLoader;
  store: ContentStore;
  defaultLanguage: string;
  /** Drill faults, run after the route matched so metrics carry the route template. */
  faultMiddleware?: RequestHandler;
  /** Refuses work past the in-flight bound (503); first on each route, so it counts on the route. */
  overloadGuard?: RequestHandler;
}

/** How stale the template listing may be: a file added or removed shows up within this. */
export const LISTING_TTL_MS = 2_000;

/** What every resource route answers to; GET also serves HEAD. */
const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

/** After a route's GET handler: OPTIONS names the methods, anything else is a 405 that does too. */
const otherMethods: RequestHandler = (req, res) => {
  res.setHeader("Allow", ALLOWED_METHODS);
  if (req.method === "OPTIONS") {
    res.status(204).end();
    return;
  }
  throw new HttpProblem({
    type: "/problems/method-not-allowed",
    title: "Method not allowed",
    status: 405,
    detail: `${req.method} is not allowed here; resources are read with GET or HEAD`,
  });
};

/** Validates one client-supplied name; anything else is a 400 before it reaches a path or key. */
function requireName(param: string, value: unknown): string {
  if (typeof value !== "string") throw invalidName(param, "must be given exactly once");
  if (!isValidResourceName(value)) throw invalidName(param, "is not a valid name");
  return value;
}

async function sendResource(
  req: Request,
  res: Response,
  loader: ResourceLoader,
  ref: ResourceRef,
): Promise<void> {
  const loaded = await loader.load(ref, chooseEncoding(req));
  res.setHeader("ETag", loaded.etag);
  res.setHeader("Vary", "Accept-Encoding");
  res.setHeader("Cache-Control", "no-cache");
  res.setHeader("X-Cache", loaded.cacheResult === "hit" ? "HIT" : "MISS");
  if (etagMatches(req.headers["if-none-match"], loaded.etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  if (loaded.encoding !== "identity") res.setHeader("Content-Encoding", loaded.encoding);
  res.setHeader("Content-Length", loaded.bytes.length);
  res.status(200).end(req.method === "HEAD" ? undefined : loaded.bytes);
}

/**
 * Adds the contract's four resource routes to `router` (the app's own router: one dispatch
 * less per request than a mounted sub-router). Route strings are also the `route` metric
 * label; the router should be case sensitive and strict, as the app's is.
 */
export function addResourceRoutes(
  router: Router,
  { loader, store, defaultLanguage, faultMiddleware, overloadGuard }: ResourceRoutesDeps,
): void {
  // Before each route's own handler: the overload bound, then (drills only) the faults.
  const before: RequestHandler[] = [
    ...(overloadGuard ? [overloadGuard] : []),
    ...(faultMiddleware ? [faultMiddleware] : []),
  ];
  // The listing is metadata of a directory that changes on deploys, not per request: built
  // (readdir, realpath and stat per file) at most once per LISTING_TTL_MS, serialized once.
  const listing = expiringValue(async () => {
    const templates = await store.listTemplates();
    const body = Buffer.from(
      JSON.stringify({
        resources: templates.map(({ name, size }) => ({
          uri: templateRef(name).uri,
          name,
          mimeType: RESOURCE_MIME_TYPE,
          size,
        })),
      }),
    );
    return { body, etag: strongEtag(body) };
  }, LISTING_TTL_MS);

  // Each route: its GET (and so HEAD) handler, then a 405 for every other method.
  const route = (path: string, ...handlers: RequestHandler[]) =>
    router
      .route(path)
      .get(...handlers)
      .all(otherMethods);

  route("/mcp/resources/sdlc/:name", ...before, async (req, res) => {
    const name = requireName("name", req.params.name);
    if (name !== "core") throw notFound(`no SDLC resource named ${name}; the framework core is sdlc/core`);
    await sendResource(req, res, loader, sdlcCoreRef);
  });

  route("/mcp/resources/patterns/:name", ...before, async (req, res) => {
    const name = requireName("name", req.params.name);
    const language =
      req.query.language === undefined ? defaultLanguage : requireName("language", req.query.language);
    await sendResource(req, res, loader, patternRef(language, name));
  });

  route("/mcp/resources/templates", ...before, async (req, res) => {
    const { body, etag } = await listing.get();
    res.setHeader("ETag", etag);
    res.setHeader("Cache-Control", "no-cache");
    if (etagMatches(req.headers["if-none-match"], etag)) {
      res.status(304).end();
      return;
    }
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Content-Length", body.length);
    res.status(200).end(req.method === "HEAD" ? undefined : body);
  });

  route("/mcp/resources/templates/:artifact_type", ...before, async (req, res) => {
    const artifactType = requireName("artifact_type", req.params.artifact_type);
    await sendResource(req, res, loader, templateRef(artifactType));
  });

  // More path segments than a name can have ("../x", "a/b", "/etc/passwd"): a bad name, not
  // an unknown route, so the client learns what is wrong.
  for (const kind of ["sdlc", "patterns", "templates"]) {
    route(`/mcp/resources/${kind}/*rest`, () => {
      throw invalidName("name", "must be a single path segment");
    });
  }
}
