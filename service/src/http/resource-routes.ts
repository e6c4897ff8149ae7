import type { Request, RequestHandler, Response, Router } from "express";
import {
  listingPath,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceRef,
  type ResourceType,
  ROUTE_PREFIX,
  resourceRef,
  routePath,
} from "../../../lib/contract/resource-kinds.js";
import { isValidResourceName } from "../../../lib/contract/resource-names.js";
import type { CatalogSource } from "../content-catalog.js";
import type { BodyEncoding } from "../resource-body.js";
import type { LoadedResource, ResourceLoader } from "../resource-loader.js";
import { recordingSpan } from "../telemetry/tracing.js";
import { chooseEncoding, etagMatches } from "./negotiation.js";
import { HttpProblem, invalidName, notFound } from "./problem.js";
import { setRouteLabel } from "./request-context.js";

export interface ResourceRoutesDeps {
  loader: ResourceLoader;
  /** The listings come from the catalog (one walk of the content directory for everyone). */
  catalog: CatalogSource;
  defaultLanguage: string;
  /** Drill faults, run after the route matched so metrics carry the route template. */
  faultMiddleware?: RequestHandler;
  /** Refuses work past the in-flight bound (503); first on each route, so it counts on the route. */
  overloadGuard?: RequestHandler;
}

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

/** A finished body with its strong validator, in the encoding it is stored in. */
interface Representation {
  readonly etag: string;
  readonly bytes: Buffer;
  readonly encoding: BodyEncoding;
}

/**
 * The one way a resource route answers: validators and caching headers, then a 304 when the
 * client's If-None-Match holds the ETag, else the bytes (none for HEAD). `cache` adds the
 * headers of a loaded resource (Vary, X-Cache); listings have neither.
 */
function sendRepresentation(req: Request, res: Response, body: Representation, cache?: "HIT" | "MISS"): void {
  res.setHeader("ETag", body.etag);
  res.setHeader("Cache-Control", "no-cache");
  if (cache) {
    res.setHeader("Vary", "Accept-Encoding");
    res.setHeader("X-Cache", cache);
  }
  if (etagMatches(req.headers["if-none-match"], body.etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  if (body.encoding !== "identity") res.setHeader("Content-Encoding", body.encoding);
  res.setHeader("Content-Length", body.bytes.length);
  res.status(200).end(req.method === "HEAD" ? undefined : body.bytes);
}

const sendLoaded = (req: Request, res: Response, loaded: LoadedResource) =>
  sendRepresentation(req, res, loaded, loaded.cacheResult === "hit" ? "HIT" : "MISS");

/** The names of one resource from a request, in the kind's order, each validated. */
function namesOf(req: Request, kind: ResourceKind, defaultLanguage: string): string[] {
  return kind.parts.map((part) => {
    const given = part.in === "path" ? req.params[part.param] : req.query[part.param];
    if (given === undefined && part.default) return defaultLanguage;
    const name = requireName(part.param, given);
    if (part.only && !part.only.includes(name)) {
      throw notFound(`no ${kind.title} resource named ${name}; there is ${part.only.join(", ")}`);
    }
    return name;
  });
}

/**
 * Adds the routes of every resource kind (lib/contract/resource-kinds.ts) to `router` (the
 * app's own router: one dispatch less per request than a mounted sub-router): one GET per
 * kind, its listing where the kind has one, and a 400 for paths with more segments than a
 * name can have. Route strings are also the `route` metric label; the router should be case
 * sensitive and strict, as the app's is.
 */
export function addResourceRoutes(
  router: Router,
  { loader, catalog, defaultLanguage, faultMiddleware, overloadGuard }: ResourceRoutesDeps,
): void {
  // Before each route's own handler: the overload bound, then (drills only) the faults.
  const before: RequestHandler[] = [
    ...(overloadGuard ? [overloadGuard] : []),
    ...(faultMiddleware ? [faultMiddleware] : []),
  ];
  // Each route: its GET (and so HEAD) handler, then a 405 for every other method.
  const route = (path: string, ...handlers: RequestHandler[]) =>
    router
      .route(path)
      .get(...handlers)
      .all(otherMethods);

  for (const kind of RESOURCE_KINDS as readonly ResourceKind[]) {
    const type = kind.type as ResourceType;
    const listing = listingPath(kind);
    if (listing) {
      route(listing, ...before, async (req, res) => {
        const found = (await catalog.get()).listings.get(type);
        if (!found) throw notFound(`no listing of ${kind.title}`);
        sendRepresentation(req, res, { etag: found.etag, bytes: found.body, encoding: "identity" });
      });
    }

    route(routePath(kind), ...before, async (req, res) => {
      const ref = resourceRef(type, namesOf(req, kind, defaultLanguage));
      sendLoaded(req, res, await loader.load(ref, chooseEncoding(req)));
    });

    // More path segments than a name can have ("../x", "a/b", "/etc/passwd"): a bad name, not
    // an unknown route, so the client learns what is wrong.
    route(`${ROUTE_PREFIX}/${kind.type}/*rest`, () => {
      throw invalidName("name", "must be a single path segment");
    });
  }
}

/** How many distinct resource URLs the fast lane remembers the parse of. */
const MAX_REMEMBERED_URLS = 1_000;

/** Names from a plain path and query, or undefined for anything the router should judge. */
function plainNames(kind: ResourceKind, pathNames: string, query: string, defaultLanguage: string) {
  const segments = pathNames.split("/");
  const given = new Map<string, string>();
  if (query !== "") {
    for (const pair of query.split("&")) {
      const eq = pair.indexOf("=");
      const param = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      // Repeated, unknown or unusual parameters: the router's answer (400, or ignoring them).
      if (eq < 0 || given.has(param) || !kind.parts.some((p) => p.in === "query" && p.param === param))
        return undefined;
      given.set(param, value);
    }
  }
  const names: string[] = [];
  let segment = 0;
  for (const part of kind.parts) {
    const name =
      part.in === "path"
        ? segments[segment++]
        : (given.get(part.param) ?? (part.default ? defaultLanguage : undefined));
    if (name === undefined || !isValidResourceName(name) || (part.only && !part.only.includes(name)))
      return undefined;
    names.push(name);
  }
  return segment === segments.length ? names : undefined;
}

/**
 * The resource routes' fast lane, mounted before Express's router: a GET or HEAD of a plain
 * resource path (names that already satisfy the name rule, at most the kind's query
 * parameters, each once) is answered here, and a hit in the in-process tier without a single
 * await. It is the same answer the routes give (same loader, headers, metrics, route label
 * and overload bound); it only skips the router's matching, parameter decoding and the
 * promise chain of an async handler, which on a warm cache cost more CPU than the lookup.
 * Anything else (another method, an encoded or invalid name, an extra segment, a repeated
 * parameter) goes on to the routes, which judge it as before. So does every request of a
 * sampled trace: the server span takes its name from the router's matched route.
 */
export function resourceFastLane({
  loader,
  catalog,
  defaultLanguage,
  overloadGuard,
}: Omit<ResourceRoutesDeps, "faultMiddleware">): RequestHandler {
  const prefix = `${ROUTE_PREFIX}/`;
  const kinds = new Map<
    string,
    { kind: ResourceKind; type: ResourceType; route: string; listing?: string }
  >();
  for (const kind of RESOURCE_KINDS as readonly ResourceKind[]) {
    const listing = listingPath(kind);
    kinds.set(kind.type, {
      kind,
      type: kind.type as ResourceType,
      route: routePath(kind),
      ...(listing ? { listing } : {}),
    });
  }
  // The same URL names the same resource every time: its ref (names, key, URI) is built once.
  const refs = new Map<string, ResourceRef>();
  const admit = (req: Request, res: Response, serve: () => void) => {
    if (overloadGuard) overloadGuard(req, res, serve);
    else serve();
  };
  return (req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || !req.url.startsWith(prefix) || recordingSpan())
      return next();
    const url = req.url;
    const q = url.indexOf("?");
    const path = url.slice(prefix.length, q < 0 ? undefined : q);
    const query = q < 0 ? "" : url.slice(q + 1);
    const slash = path.indexOf("/");
    const entry = kinds.get(slash < 0 ? path : path.slice(0, slash));
    if (!entry) return next();
    if (slash < 0) {
      const listing = entry.listing;
      if (listing === undefined || query !== "") return next();
      setRouteLabel(req, listing);
      return admit(req, res, () => {
        catalog
          .get()
          .then((catalogue) => {
            const found = catalogue.listings.get(entry.type);
            if (!found) throw notFound(`no listing of ${entry.kind.title}`);
            sendRepresentation(req, res, { etag: found.etag, bytes: found.body, encoding: "identity" });
          })
          .catch(next);
      });
    }
    let ref = refs.get(url);
    if (ref === undefined) {
      const names = plainNames(entry.kind, path.slice(slash + 1), query, defaultLanguage);
      if (!names) return next();
      ref = resourceRef(entry.type, names);
      // Only URLs that name a valid resource are kept, and a bounded number of them: a client
      // sending ever new names costs a parse each time, as without the memo.
      if (refs.size >= MAX_REMEMBERED_URLS) refs.clear();
      refs.set(url, ref);
    }
    const found = ref;
    setRouteLabel(req, entry.route);
    admit(req, res, () => {
      const ref = found;
      const encoding = chooseEncoding(req);
      const local = loader.loadLocal(ref, encoding);
      if (local) sendLoaded(req, res, local);
      // .catch after .then: an error while sending must reach the error handler too, not
      // become an unhandled rejection.
      else
        loader
          .load(ref, encoding)
          .then((loaded) => sendLoaded(req, res, loaded))
          .catch(next);
    });
  };
}
