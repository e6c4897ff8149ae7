import type { Request, RequestHandler, Router } from "express";
import {
  listingPath,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceType,
  ROUTE_PREFIX,
  resourceRef,
  routePath,
} from "../../../lib/contract/resource-kinds.js";
import { isValidResourceName } from "../../../lib/contract/resource-names.js";
import type { CatalogSource } from "../content-catalog.js";
import type { ResourceLoader } from "../resource-loader.js";
import type { PlainHandler } from "./inflight-limit.js";
import { chooseEncoding } from "./negotiation.js";
import { HttpProblem, invalidName, notFound } from "./problem.js";
import { sendLoaded, sendRepresentation } from "./representation.js";

export interface ResourceRoutesDeps {
  loader: ResourceLoader;
  /** The listings come from the catalog (one walk of the content directory for everyone). */
  catalog: CatalogSource;
  defaultLanguage: string;
  /** Drill faults, run after the route matched so metrics carry the route template. */
  faultMiddleware?: RequestHandler;
  /** Refuses work past the in-flight bound (503); first on each route, so it counts on the route. */
  overloadGuard?: PlainHandler;
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
