/**
 * One request at a time by the runbook's access pattern: the endpoint and names chosen by
 * weight from the shipped catalogue, as REST or as an MCP `resources/read`. Shared by the
 * load engines (autocannon in Node, k6 in its own runtime) and the drills' background load.
 *
 * k6 (>= v0.57) loads this module and those it imports as TypeScript, stripping the types:
 * they use no Node API and no npm package, target ES2020, and import each other with `.ts`
 * paths (tsc rewrites them to `.js` when it emits). loadtest/k6/tsconfig.json checks it.
 */
import { mcpReadResourceRequest } from "../contract/mcp.ts";
import {
  listingPath,
  type ResourceType,
  resourceKind,
  resourcePath,
  resourceRef,
} from "../contract/resource-kinds.ts";
import {
  ACCESS_PATTERN,
  type Endpoint,
  LANGUAGE_WEIGHTS,
  PATTERN_WEIGHTS,
  TEMPLATE_WEIGHTS,
} from "./access-pattern.ts";
import { LANGUAGES, PATTERN_NAMES, TEMPLATE_TYPES } from "./catalogue.ts";

export type Expectation =
  | { readonly kind: "resource"; readonly uri: string }
  | { readonly kind: "listing" }
  | { readonly kind: "mcp"; readonly uri: string };

/** One request the workload decided to make. */
export interface PlannedRequest {
  readonly endpoint: Endpoint;
  readonly resourceType: ResourceType;
  /** Path and query, to append to BASE_URL. */
  readonly path: string;
  readonly expect: Expectation;
  /** GET unless said otherwise; MCP reads are a JSON-RPC POST. */
  readonly method?: "GET" | "POST";
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The same resource as `planned`, read over MCP instead of its REST route. */
export function asMcpRead(planned: PlannedRequest): PlannedRequest {
  if (planned.expect.kind !== "resource") throw new Error(`${planned.endpoint} has no MCP form`);
  const { uri } = planned.expect;
  const request = mcpReadResourceRequest(uri);
  return {
    endpoint: "mcp_read",
    resourceType: planned.resourceType,
    path: request.path,
    method: request.method,
    headers: request.headers,
    body: request.body,
    expect: { kind: "mcp", uri },
  };
}

/** A REST read of one resource, with the URI its body must carry. */
function restRead(endpoint: Endpoint, type: ResourceType, names: readonly string[]): PlannedRequest {
  const ref = resourceRef(type, names);
  return {
    endpoint,
    resourceType: type,
    path: resourcePath(ref),
    expect: { kind: "resource", uri: ref.uri },
  };
}

export type Random = () => number;

/** A small seeded PRNG (mulberry32), so tests and repeatable runs see the same URL sequence. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cumulative<T> {
  readonly items: readonly T[];
  readonly bounds: readonly number[];
  readonly total: number;
}

function cumulative<T>(items: readonly T[], weightOf: (item: T) => number): Cumulative<T> {
  const bounds: number[] = [];
  let total = 0;
  for (const item of items) {
    const w = weightOf(item);
    if (!(w > 0)) throw new Error(`weight must be positive, got ${w}`);
    total += w;
    bounds.push(total);
  }
  return { items, bounds, total };
}

function choose<T>(table: Cumulative<T>, random: Random): T {
  const x = random() * table.total;
  for (let i = 0; i < table.bounds.length; i++) {
    if (x < (table.bounds[i] as number)) return table.items[i] as T;
  }
  return table.items[table.items.length - 1] as T;
}

const ENDPOINT_TABLE = cumulative(ACCESS_PATTERN, (a) => a.weight);
const LANGUAGE_TABLE = cumulative(LANGUAGES, (l) => LANGUAGE_WEIGHTS[l]);
const PATTERN_TABLE = cumulative(PATTERN_NAMES, (p) => PATTERN_WEIGHTS[p]);
const TEMPLATE_TABLE = cumulative(TEMPLATE_TYPES, (t) => TEMPLATE_WEIGHTS[t]);

/** The request for one endpoint with the names chosen (by `random`) from the catalogue. */
export function planRequest(endpoint: Endpoint, random: Random): PlannedRequest {
  switch (endpoint) {
    case "sdlc_core":
      return restRead(endpoint, "sdlc", ["core"]);
    case "pattern": {
      const language = choose(LANGUAGE_TABLE, random);
      const name = choose(PATTERN_TABLE, random);
      return restRead(endpoint, "patterns", [language, name]);
    }
    case "template":
      return restRead(endpoint, "templates", [choose(TEMPLATE_TABLE, random)]);
    case "template_listing":
      return {
        endpoint,
        resourceType: "templates",
        path: listingPath(resourceKind("templates")) ?? "",
        expect: { kind: "listing" },
      };
    case "mcp_read": {
      // A resource by the runbook's weights (the listing has no MCP read form).
      let planned = pickRequest(random);
      while (planned.expect.kind !== "resource") planned = pickRequest(random);
      return asMcpRead(planned);
    }
  }
}

/**
 * Picks the next request by the access pattern's weights. `mcpShare` (0..1) mixes the MCP
 * scenario in: that share of resource reads goes to POST /mcp instead of the REST route.
 */
export function pickRequest(random: Random = Math.random, mcpShare = 0): PlannedRequest {
  const planned = planRequest(choose(ENDPOINT_TABLE, random).endpoint, random);
  if (mcpShare > 0 && planned.expect.kind === "resource" && random() < mcpShare) return asMcpRead(planned);
  return planned;
}
