import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "pino";
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
import type { ResourceLoader } from "../resource-loader.js";
import { recordingSpan } from "../telemetry/tracing.js";
import { answerError } from "./answer-error.js";
import type { PlainHandler } from "./inflight-limit.js";
import { chooseEncoding } from "./negotiation.js";
import { notFound } from "./problem.js";
import { sendLoaded, sendRepresentation } from "./representation.js";
import { type BeginRequest, setRouteLabel } from "./request-context.js";

export interface ResourceLaneDeps {
  loader: ResourceLoader;
  catalog: CatalogSource;
  defaultLanguage: string;
  /** The request context every request starts with (id, access log, metrics, drain). */
  begin: BeginRequest;
  /** The in-flight bound of the resource routes, applied here the same way. */
  overloadGuard: PlainHandler;
  logger: Logger;
}

/** How many distinct resource URLs the lane remembers the parse of. */
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
 * The server's request listener: a GET or HEAD of a plain resource path (names that already
 * satisfy the name rule, at most the kind's query parameters, each once) or of a listing is
 * answered here, before Express; every other request goes to `app`, which judges it as the
 * routes always have. Most traffic is a read the in-process tier answers without a single
 * await, and for that read Express's own per-request work (re-prototyping the request and
 * response, the router's layer walk, the promise chain of an async handler) cost more CPU than
 * the lookup. The answer is the same the routes give: same request context, loader, headers,
 * metrics, route label, overload bound and error answers (shared modules, not copies), and
 * the tests ask both ways. Every request of a sampled trace goes to `app`: the server span
 * takes its name from the router's matched route.
 */
export function resourceLane(deps: ResourceLaneDeps, app: RequestListener): RequestListener {
  const { loader, catalog, defaultLanguage, begin, overloadGuard, logger } = deps;
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

  /** The ref of a plain resource URL, or undefined when the routes should judge the URL. */
  function refOf(
    url: string,
    entry: { kind: ResourceKind; type: ResourceType },
    names: string,
    query: string,
  ) {
    let ref = refs.get(url);
    if (ref !== undefined) return ref;
    const parsed = plainNames(entry.kind, names, query, defaultLanguage);
    if (!parsed) return undefined;
    ref = resourceRef(entry.type, parsed);
    // Only URLs that name a valid resource are kept, and a bounded number of them: a client
    // sending ever new names costs a parse each time, as without the memo.
    if (refs.size >= MAX_REMEMBERED_URLS) refs.clear();
    refs.set(url, ref);
    return ref;
  }

  function serveResource(req: IncomingMessage, res: ServerResponse, ref: ResourceRef): void {
    const encoding = chooseEncoding(req);
    const local = loader.loadLocal(ref, encoding);
    if (local) sendLoaded(req, res, local);
    // .catch after .then: an error while sending must be answered too, not become an
    // unhandled rejection.
    else
      loader
        .load(ref, encoding)
        .then((loaded) => sendLoaded(req, res, loaded))
        .catch((error: unknown) => answerError(error, req, res, logger));
  }

  function serveListing(
    req: IncomingMessage,
    res: ServerResponse,
    entry: { kind: ResourceKind; type: ResourceType },
  ) {
    catalog
      .get()
      .then((catalogue) => {
        const found = catalogue.listings.get(entry.type);
        if (!found) throw notFound(`no listing of ${entry.kind.title}`);
        sendRepresentation(req, res, { etag: found.etag, bytes: found.body, encoding: "identity" });
      })
      .catch((error: unknown) => answerError(error, req, res, logger));
  }

  /** Starts the request's context and answers it within the overload bound. */
  function answer(req: IncomingMessage, res: ServerResponse, route: string, serve: () => void): void {
    begin(req, res);
    setRouteLabel(req, route);
    try {
      overloadGuard(req, res, serve);
    } catch (error) {
      // Outside Express nothing else catches a throw: it would reach the server's emit.
      answerError(error, req, res, logger);
    }
  }

  return (req, res) => {
    const url = req.url ?? "";
    if ((req.method !== "GET" && req.method !== "HEAD") || !url.startsWith(prefix) || recordingSpan())
      return app(req, res);
    const q = url.indexOf("?");
    const path = url.slice(prefix.length, q < 0 ? undefined : q);
    const query = q < 0 ? "" : url.slice(q + 1);
    const slash = path.indexOf("/");
    const entry = kinds.get(slash < 0 ? path : path.slice(0, slash));
    if (!entry) return app(req, res);
    if (slash < 0) {
      const listing = entry.listing;
      if (listing === undefined || query !== "") return app(req, res);
      return answer(req, res, listing, () => serveListing(req, res, entry));
    }
    const ref = refOf(url, entry, path.slice(slash + 1), query);
    if (!ref) return app(req, res);
    answer(req, res, entry.route, () => serveResource(req, res, ref));
  };
}
