/**
 * Reads the service's own cache counters from /metrics (Prometheus text exposition), so
 * reports carry the server's hit ratio, not one inferred by the client.
 */
import type { ResourceType } from "../../lib/contract/resource-kinds.js";

const TYPES: readonly ResourceType[] = ["sdlc", "patterns", "templates"];

export interface CacheCounters {
  hits: Record<ResourceType, number>;
  misses: Record<ResourceType, number>;
  /** mcp_resource_cache_errors_total by operation (get, set): failures and timeouts. */
  errors: { get: number; set: number };
}

function zero(): Record<ResourceType, number> {
  return { sdlc: 0, patterns: 0, templates: 0 };
}

/** Parses mcp_resource_cache_{hits,misses}_total{resource_type="..."} from exposition text. */
export function parseCacheCounters(text: string): CacheCounters {
  const counters: CacheCounters = { hits: zero(), misses: zero(), errors: { get: 0, set: 0 } };
  const re = /^mcp_resource_cache_(hits|misses)_total\{([^}]*)\}\s+([0-9.eE+-]+)/;
  const errorRe = /^mcp_resource_cache_errors_total\{[^}]*operation="(get|set)"[^}]*\}\s+([0-9.eE+-]+)/;
  for (const line of text.split("\n")) {
    const e = errorRe.exec(line);
    if (e) counters.errors[e[1] as "get" | "set"] += Number(e[2]);
    const m = re.exec(line);
    if (!m) continue;
    const type = /resource_type="([^"]+)"/.exec(m[2] as string)?.[1] as ResourceType | undefined;
    if (!type || !TYPES.includes(type)) continue;
    counters[m[1] as "hits" | "misses"][type] += Number(m[3]);
  }
  return counters;
}

export async function scrapeCacheCounters(baseUrl: string): Promise<CacheCounters> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${res.status}`);
  return parseCacheCounters(await res.text());
}

export interface HitRatio {
  hits: number;
  misses: number;
  /** hits / (hits + misses), or null without lookups. */
  ratio: number | null;
}

export interface HitRatios {
  byResourceType: Record<ResourceType, HitRatio>;
  combined: HitRatio;
  /** Cache operations that failed or timed out between the two scrapes. */
  errors: { get: number; set: number };
}

function ratio(hits: number, misses: number): HitRatio {
  return { hits, misses, ratio: hits + misses > 0 ? hits / (hits + misses) : null };
}

/** The hit ratio of the lookups made between two scrapes. */
export function hitRatioBetween(before: CacheCounters, after: CacheCounters): HitRatios {
  const byResourceType = {} as Record<ResourceType, HitRatio>;
  let hits = 0;
  let misses = 0;
  for (const t of TYPES) {
    const h = after.hits[t] - before.hits[t];
    const m = after.misses[t] - before.misses[t];
    byResourceType[t] = ratio(h, m);
    hits += h;
    misses += m;
  }
  return {
    byResourceType,
    combined: ratio(hits, misses),
    errors: { get: after.errors.get - before.errors.get, set: after.errors.set - before.errors.set },
  };
}
