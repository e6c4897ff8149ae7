/**
 * The one workload definition that both load engines import: the runbook's profiles, its
 * access pattern, the URL choice, the response checks and the thresholds.
 *
 * - k6 (`loadtest/k6/script.ts`) loads this file as TypeScript in its own JS runtime (k6 >=
 *   v0.57 strips types natively), so this module uses no Node API, no npm package, no value
 *   import of another module and nothing newer than ES2020 (checked by
 *   `loadtest/k6/tsconfig.json`, which has only k6's types and the ES2020 library).
 * - Node (the autocannon engine, the CLI, the tests) imports it as `./workload.js`.
 *
 * k6 cannot list directories, so the shipped content catalogue is data here; a vitest test
 * (`loadtest/test/catalogue.test.ts`) compares it with `service/content/` so it cannot drift.
 */

// ---------------------------------------------------------------------------------------
// Catalogue of shipped content (must equal service/content/; see the test named above)
// ---------------------------------------------------------------------------------------

export const LANGUAGES = ["python", "typescript", "go"] as const;
export const PATTERN_NAMES = ["core", "tooling", "testing", "errors", "security", "observability"] as const;
export const TEMPLATE_TYPES = [
  "prd",
  "hls",
  "user-story",
  "research",
  "adr",
  "runbook",
  "test-plan",
  "release-notes",
  "incident-review",
  "design-doc",
] as const;
export const SDLC_NAMES = ["core"] as const;

export type Language = (typeof LANGUAGES)[number];
export type PatternName = (typeof PATTERN_NAMES)[number];
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

/** The contract's `resource_type` label values. The template listing counts as `templates`. */
export const RESOURCE_TYPES = ["sdlc", "patterns", "templates"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Finer than resource_type: the four request kinds of the runbook's load distribution. */
export const ENDPOINTS = ["sdlc_core", "pattern", "template", "template_listing", "mcp_read"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

// ---------------------------------------------------------------------------------------
// Access pattern
// ---------------------------------------------------------------------------------------

export interface AccessWeight {
  readonly endpoint: Endpoint;
  readonly resourceType: ResourceType;
  readonly weight: number;
}

/**
 * The runbook's "Load Distribution": 50% SDLC core, 40% patterns, 20% templates, 10% template
 * listing. Those add up to 120%, so they are relative weights: the real shares are
 * 50/120 = 41.7%, 40/120 = 33.3%, 20/120 = 16.7% and 10/120 = 8.3% (as Locust's task
 * weights would have made them).
 */
export const ACCESS_PATTERN: readonly AccessWeight[] = [
  { endpoint: "sdlc_core", resourceType: "sdlc", weight: 50 },
  { endpoint: "pattern", resourceType: "patterns", weight: 40 },
  { endpoint: "template", resourceType: "templates", weight: 20 },
  { endpoint: "template_listing", resourceType: "templates", weight: 10 },
];

/** Most projects are Python (the service's default language), then TypeScript, then Go. */
export const LANGUAGE_WEIGHTS: Readonly<Record<Language, number>> = { python: 50, typescript: 30, go: 20 };

/** A long-tail skew: the core and tooling patterns are read far more than the niche ones. */
export const PATTERN_WEIGHTS: Readonly<Record<PatternName, number>> = {
  core: 30,
  tooling: 20,
  testing: 18,
  errors: 14,
  security: 10,
  observability: 8,
};

/** Stories and PRDs are written most; incident reviews least. Every type gets some traffic. */
export const TEMPLATE_WEIGHTS: Readonly<Record<TemplateType, number>> = {
  prd: 18,
  "user-story": 18,
  hls: 12,
  adr: 10,
  "design-doc": 10,
  "test-plan": 8,
  runbook: 7,
  research: 6,
  "release-notes": 6,
  "incident-review": 5,
};

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

// ---------------------------------------------------------------------------------------
// The MCP scenario: the same resources read over POST /mcp (JSON-RPC resources/read)
// ---------------------------------------------------------------------------------------

/**
 * The wire form of an MCP `resources/read`, as service/src/mcp/wire.ts defines it. This
 * module must import nothing (k6 loads it as it is), so it restates the few lines;
 * test/workload.test.ts fails when the two differ.
 */
export const MCP_READ_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
  "MCP-Protocol-Version": "2025-11-25",
};

/** The same resource as `planned`, read over MCP instead of its REST route. */
export function asMcpRead(planned: PlannedRequest): PlannedRequest {
  if (planned.expect.kind !== "resource") throw new Error(`${planned.endpoint} has no MCP form`);
  const { uri } = planned.expect;
  return {
    endpoint: "mcp_read",
    resourceType: planned.resourceType,
    path: "/mcp",
    method: "POST",
    headers: MCP_READ_HEADERS,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri } }),
    expect: { kind: "mcp", uri },
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
      return {
        endpoint,
        resourceType: "sdlc",
        path: "/mcp/resources/sdlc/core",
        expect: { kind: "resource", uri: "sdlc://core" },
      };
    case "pattern": {
      const language = choose(LANGUAGE_TABLE, random);
      const name = choose(PATTERN_TABLE, random);
      return {
        endpoint,
        resourceType: "patterns",
        path: `/mcp/resources/patterns/${name}?language=${language}`,
        expect: { kind: "resource", uri: `sdlc://patterns/${language}/${name}` },
      };
    }
    case "template": {
      const artifactType = choose(TEMPLATE_TABLE, random);
      return {
        endpoint,
        resourceType: "templates",
        path: `/mcp/resources/templates/${artifactType}`,
        expect: { kind: "resource", uri: `sdlc://templates/${artifactType}` },
      };
    }
    case "template_listing":
      return {
        endpoint,
        resourceType: "templates",
        path: "/mcp/resources/templates",
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

// ---------------------------------------------------------------------------------------
// Response checks (status and the contract's body shape)
// ---------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks one response against the contract. Returns undefined when it passes, else a short
 * reason that is also the failure's label in reports ("status 500", "body: ...").
 */
export function checkResponse(expect: Expectation, status: number, body: string): string | undefined {
  if (status !== 200) return `status ${status}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "body: not JSON";
  }
  if (!isObject(parsed)) return "body: not a JSON object";
  if (expect.kind === "mcp") {
    // JSON-RPC: errors come back as 200 with an `error` member.
    if (isObject(parsed.error)) return `mcp error ${String(parsed.error.code)}`;
    if (!isObject(parsed.result)) return "body: JSON-RPC result missing";
    return checkResponse({ kind: "resource", uri: expect.uri }, status, JSON.stringify(parsed.result));
  }
  if (expect.kind === "listing") {
    const resources = parsed.resources;
    if (!Array.isArray(resources) || resources.length === 0) return "body: resources[] missing or empty";
    for (const r of resources) {
      if (!isObject(r) || typeof r.uri !== "string" || typeof r.name !== "string") {
        return "body: resources[] entry without uri/name";
      }
    }
    return undefined;
  }
  const contents = parsed.contents;
  if (!Array.isArray(contents) || contents.length === 0) return "body: contents[] missing or empty";
  const first: unknown = contents[0];
  if (!isObject(first)) return "body: contents[0] not an object";
  if (first.uri !== expect.uri) return "body: contents[0].uri mismatch";
  if (typeof first.mimeType !== "string" || first.mimeType === "")
    return "body: contents[0].mimeType missing";
  if (typeof first.text !== "string" || first.text === "") return "body: contents[0].text missing";
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------

export const PROFILE_NAMES = ["full", "quick", "stress", "warmup"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  readonly name: ProfileName;
  /** Concurrent virtual users (k6 VUs, autocannon connections); each loops without think time. */
  readonly users: number;
  /** Users started per second (the ramp). */
  readonly spawnRate: number;
  readonly durationSeconds: number;
  /** Throughput floor asserted by this profile, if any (req/s). */
  readonly minRps?: number;
  readonly purpose: string;
}

/** The runbook's four Locust scenarios, with its numbers. */
export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  full: {
    name: "full",
    users: 100,
    spawnRate: 10,
    durationSeconds: 300,
    minRps: 500,
    purpose: "production validation (runbook: 100 users, spawn 10/s, 5 m, > 500 req/s)",
  },
  quick: {
    name: "quick",
    users: 30,
    spawnRate: 5,
    durationSeconds: 60,
    purpose: "development and CI (runbook: 30 users, spawn 5/s, 1 m)",
  },
  stress: {
    name: "stress",
    users: 500,
    spawnRate: 50,
    durationSeconds: 600,
    purpose: "find the breaking point (runbook: 500 users, spawn 50/s, 10 m)",
  },
  warmup: {
    name: "warmup",
    users: 10,
    spawnRate: 5,
    durationSeconds: 30,
    purpose: "prime the cache (runbook: 10 users, spawn 5/s, 30 s)",
  },
};

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).indexOf(value) >= 0;
}

export function getProfile(name: string): Profile {
  if (!isProfileName(name)) {
    throw new Error(`unknown profile "${name}"; one of: ${PROFILE_NAMES.join(", ")}`);
  }
  return PROFILES[name];
}

/** "90", "90s", "1m", "1m30s", "5m", "1h" -> seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = "";
  for (let m = re.exec(trimmed); m !== null; m = re.exec(trimmed)) {
    const value = Number(m[1]);
    const unit = m[2];
    total += unit === "h" ? value * 3600 : unit === "m" ? value * 60 : unit === "s" ? value : value / 1000;
    consumed += m[0];
  }
  if (consumed === "" || consumed !== trimmed || !(total > 0)) {
    throw new Error(`invalid duration "${text}" (examples: 30s, 1m, 1m30s, 90)`);
  }
  return total;
}

export interface RampStep {
  /** Seconds after the start at which these users join. */
  readonly atSecond: number;
  readonly users: number;
}

/**
 * The ramp as whole-second steps: `spawnRate` users join every second until `users` are
 * running (the last step may be smaller). Steps at or after the end are dropped.
 */
export function rampSteps(
  profile: Pick<Profile, "users" | "spawnRate">,
  durationSeconds: number,
): RampStep[] {
  const steps: RampStep[] = [];
  for (let i = 0, started = 0; started < profile.users; i++) {
    if (i >= durationSeconds) break;
    const users = Math.min(profile.spawnRate, profile.users - started);
    steps.push({ atSecond: i, users });
    started += users;
  }
  return steps;
}

/** Seconds the ramp takes to reach all users (k6 stage 1). */
export function rampSeconds(profile: Pick<Profile, "users" | "spawnRate">): number {
  return Math.ceil(profile.users / profile.spawnRate);
}

// ---------------------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------------------

export type Stat = "failureRate" | "p50" | "p95" | "p99" | "rps";
export type Scope = "overall" | ResourceType;

export interface Threshold {
  readonly scope: Scope;
  readonly stat: Stat;
  /** `failureRate <= limit`, `pNN < limit` (ms), `rps > limit`. */
  readonly limit: number;
  readonly source: string;
  /** False: evaluated and reported, but a breach does not fail the run (see GATES). */
  readonly gating: boolean;
}

/** The runbook's "Cache Warm" table, per resource type (ms). */
export const WARM_TARGETS: Readonly<Record<ResourceType, { p95: number; p99: number }>> = {
  sdlc: { p95: 15, p99: 30 },
  patterns: { p95: 30, p99: 60 },
  templates: { p95: 50, p99: 100 },
};

/** The runbook's key metrics: 0% failures, p50 < 50 ms, p95 < 100 ms, p99 < 200 ms. */
export const OVERALL_TARGETS = { failureRate: 0, p50: 50, p95: 100, p99: 200 } as const;

export function thresholdsFor(profile: Pick<Profile, "minRps">): Threshold[] {
  const list: Threshold[] = [
    {
      scope: "overall",
      stat: "failureRate",
      limit: OVERALL_TARGETS.failureRate,
      source: "runbook key metrics: 0% failures",
      gating: true,
    },
    {
      scope: "overall",
      stat: "p50",
      limit: OVERALL_TARGETS.p50,
      source: "runbook key metrics",
      gating: true,
    },
    {
      scope: "overall",
      stat: "p95",
      limit: OVERALL_TARGETS.p95,
      source: "runbook key metrics",
      gating: true,
    },
    {
      scope: "overall",
      stat: "p99",
      limit: OVERALL_TARGETS.p99,
      source: "runbook key metrics",
      gating: true,
    },
  ];
  for (const type of RESOURCE_TYPES) {
    for (const stat of ["p95", "p99"] as const) {
      list.push({
        scope: type,
        stat,
        limit: WARM_TARGETS[type][stat],
        source: "runbook cache-warm table",
        gating: true,
      });
    }
  }
  if (profile.minRps !== undefined) {
    list.push({
      scope: "overall",
      stat: "rps",
      limit: profile.minRps,
      source: "runbook: > 500 req/s",
      gating: true,
    });
  }
  return list;
}

/**
 * Which thresholds fail a run. `all`: every one (the default for every profile). `ci`: the
 * runbook's "Quick Performance Check" acceptance only (0% failures, overall p95 < 100 ms);
 * the others are still evaluated and reported as warnings. Overrides always gate.
 */
export const GATES = ["all", "ci"] as const;
export type Gate = (typeof GATES)[number];

export function applyGate(list: readonly Threshold[], gate: string): Threshold[] {
  if (gate === "all") return list.map((t) => ({ ...t, gating: true }));
  if (gate === "ci") {
    return list.map((t) => ({
      ...t,
      gating:
        t.source === "override" || (t.scope === "overall" && (t.stat === "failureRate" || t.stat === "p95")),
    }));
  }
  throw new Error(`unknown gate "${gate}"; one of: ${GATES.join(", ")}`);
}

const STATS: readonly Stat[] = ["failureRate", "p50", "p95", "p99", "rps"];

/**
 * Applies overrides like "p95=80", "sdlc.p99=40", "failureRate=0.01", "rps=off" (comma or
 * space separated) to a threshold list. "off" removes that threshold.
 */
export function applyThresholdOverrides(base: readonly Threshold[], spec: string | undefined): Threshold[] {
  let list = base.slice();
  if (!spec || spec.trim() === "") return list;
  for (const part of spec.split(/[\s,]+/)) {
    if (part === "") continue;
    const m =
      /^(?:(overall|sdlc|patterns|templates)\.)?(failureRate|p50|p95|p99|rps)=(off|\d+(?:\.\d+)?)$/.exec(
        part,
      );
    if (!m) {
      throw new Error(
        `invalid threshold override "${part}" (examples: p95=80, sdlc.p99=40, failureRate=0.01, rps=off; stats: ${STATS.join(", ")})`,
      );
    }
    const scope = (m[1] ?? "overall") as Scope;
    const stat = m[2] as Stat;
    list = list.filter((t) => !(t.scope === scope && t.stat === stat));
    if (m[3] !== "off") list.push({ scope, stat, limit: Number(m[3]), source: "override", gating: true });
  }
  return list;
}

/** The thresholds a run evaluates: the profile's, under a gate, with overrides applied. */
export function resolveThresholds(
  profile: Pick<Profile, "minRps">,
  gate: string = "all",
  overrides: string | undefined = undefined,
): Threshold[] {
  return applyThresholdOverrides(applyGate(thresholdsFor(profile), gate), overrides);
}

export function describeThreshold(t: Pick<Threshold, "stat" | "limit">): string {
  switch (t.stat) {
    case "failureRate":
      return t.limit === 0 ? "failure rate == 0%" : `failure rate <= ${round(t.limit * 100, 3)}%`;
    case "rps":
      return `throughput > ${t.limit} req/s`;
    default:
      return `${t.stat} < ${t.limit} ms`;
  }
}

// ---------------------------------------------------------------------------------------
// The summary both engines write (summary.json), and threshold evaluation on it
// ---------------------------------------------------------------------------------------

/** Latency in milliseconds; counts of completed responses plus transport errors. */
export interface GroupStats {
  /** Requests made: responses plus those that got none (timeouts, connection errors). */
  requests: number;
  /** Responses received, i.e. the samples behind the latency figures. */
  responses: number;
  failures: number;
  failureRate: number;
  rps: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ThresholdResult extends Threshold {
  readonly description: string;
  readonly actual: number | null;
  readonly ok: boolean;
}

export interface TimelinePoint {
  second: number;
  requests: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface RunSummary {
  schema: "mcp-loadtest-summary/v1";
  engine: "autocannon" | "k6";
  profile: ProfileName;
  testId: string;
  baseUrl: string;
  startedAt: string;
  durationSeconds: number;
  config: { users: number; spawnRate: number; durationSeconds: number };
  overall: GroupStats;
  byResourceType: Record<ResourceType, GroupStats>;
  byEndpoint: Record<Endpoint, GroupStats>;
  /** Latency by the service's X-Cache header (HIT/MISS); absent where the engine lacks it. */
  byCacheResult?: Partial<Record<"hit" | "miss", GroupStats>>;
  failureReasons: Record<string, number>;
  thresholds: ThresholdResult[];
  passed: boolean;
  /** Latency percentile curve per group (ms), for charts. */
  distribution?: Partial<Record<"overall" | ResourceType, Array<{ percentile: number; ms: number }>>>;
  /** Per-second throughput and latency, for charts (autocannon only). */
  timeline?: TimelinePoint[];
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function emptyStats(): GroupStats {
  return {
    requests: 0,
    responses: 0,
    failures: 0,
    failureRate: 0,
    rps: 0,
    min: 0,
    mean: 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    max: 0,
  };
}

export function evaluateThresholds(
  thresholds: readonly Threshold[],
  summary: Pick<RunSummary, "overall" | "byResourceType">,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const stats = t.scope === "overall" ? summary.overall : summary.byResourceType[t.scope];
    const description = describeThreshold(t);
    // A group without responses cannot show that its latency target was met.
    const samples = t.stat === "failureRate" || t.stat === "rps" ? stats?.requests : stats?.responses;
    if (!stats || !samples) {
      return { ...t, description, actual: null, ok: t.stat === "failureRate" };
    }
    const actual = stats[t.stat];
    const ok =
      t.stat === "failureRate" ? actual <= t.limit : t.stat === "rps" ? actual > t.limit : actual < t.limit;
    return { ...t, description, actual, ok };
  });
}

// ---------------------------------------------------------------------------------------
// Target safety: load only ever goes to this machine
// ---------------------------------------------------------------------------------------

export interface ParsedBaseUrl {
  readonly protocol: "http" | "https";
  readonly host: string;
  readonly port: number;
  /** Normalised: scheme://host:port, no trailing slash. */
  readonly origin: string;
}

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && [m[1], m[2], m[3]].every((o) => Number(o) <= 255);
}

/**
 * Parses BASE_URL and refuses any host that is not loopback (127.0.0.0/8, ::1, localhost),
 * unless it is named in `extraAllowedHosts` (the compose stack's service name, for k6 in a
 * container). Written without the URL class, which k6's runtime does not have.
 */
export function parseBaseUrl(raw: string, extraAllowedHosts: readonly string[] = []): ParsedBaseUrl {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(raw.trim());
  if (!m) {
    throw new Error(`BASE_URL "${raw}" is not of the form http://HOST[:PORT] (no path, no query)`);
  }
  const protocol = m[1] as "http" | "https";
  const host = (m[2] as string).toLowerCase();
  const port = m[3] ? Number(m[3]) : protocol === "https" ? 443 : 80;
  if (port < 1 || port > 65535) throw new Error(`BASE_URL "${raw}" has an invalid port`);
  if (!isLoopbackHost(host) && extraAllowedHosts.map((h) => h.toLowerCase()).indexOf(host) < 0) {
    throw new Error(
      `refusing to load-test ${host}: load is only ever sent to this machine ` +
        "(127.0.0.0/8, ::1 or localhost). Point BASE_URL at a local service, e.g. http://127.0.0.1:8000",
    );
  }
  return { protocol, host, port, origin: `${protocol}://${host}:${port}` };
}

// ---------------------------------------------------------------------------------------
// k6 mapping: options from a profile, the shared summary from k6's end-of-test data
// ---------------------------------------------------------------------------------------

/** Trend stats k6 keeps for the summary (and which the mapping below reads). */
export const K6_SUMMARY_TREND_STATS = [
  "count",
  "avg",
  "min",
  "med",
  "max",
  "p(50)",
  "p(75)",
  "p(90)",
  "p(95)",
  "p(99)",
  "p(99.9)",
];

const PERCENTILE_CURVE = [50, 75, 90, 95, 99, 99.9];

/** Tag on every workload request, so `/readyz` in setup() does not count toward the results. */
export const WORKLOAD_TAG = "workload:mcp";

function k6Expression(t: Threshold): string {
  switch (t.stat) {
    case "failureRate":
      return `rate<=${t.limit}`;
    case "rps":
      return `rate>${t.limit}`;
    default:
      return `p(${t.stat.slice(1)})<${t.limit}`;
  }
}

function k6MetricFor(t: Threshold): string {
  const tag = t.scope === "overall" ? WORKLOAD_TAG : `resource_type:${t.scope}`;
  if (t.stat === "failureRate") return `mcp_request_failed{${tag}}`;
  if (t.stat === "rps") return `http_reqs{${tag}}`;
  return `http_req_duration{${tag}}`;
}

/**
 * k6 thresholds for a threshold list, plus always-true ones on every tag the summary
 * mapping reads (k6 only reports sub-metrics that have a threshold).
 */
export function k6Thresholds(thresholds: readonly Threshold[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (metric: string, expr: string) => {
    const list = out[metric] ?? [];
    if (list.indexOf(expr) < 0) list.push(expr);
    out[metric] = list;
  };
  const tags = [WORKLOAD_TAG]
    .concat(RESOURCE_TYPES.map((t) => `resource_type:${t}`))
    .concat(ENDPOINTS.map((e) => `endpoint:${e}`));
  for (const tag of tags) {
    add(`http_req_duration{${tag}}`, "max>=0");
    add(`mcp_request_failed{${tag}}`, "rate>=0");
  }
  for (const result of ["hit", "miss"])
    add(`mcp_request_duration_by_cache{cache_result:${result}}`, "max>=0");
  // Only gating thresholds become k6 thresholds (k6 exits 99 on a breach); the others are
  // evaluated by summaryFromK6 from the same numbers and reported as warnings.
  for (const t of thresholds) if (t.gating) add(k6MetricFor(t), k6Expression(t));
  return out;
}

/** k6 `ramping-vus` stages for a profile: ramp at the spawn rate, then hold. */
export function k6Stages(
  profile: Pick<Profile, "users" | "spawnRate">,
  durationSeconds: number,
): Array<{ duration: string; target: number }> {
  const ramp = Math.min(rampSeconds(profile), durationSeconds);
  const rampTarget = Math.round((profile.users * ramp) / rampSeconds(profile));
  const stages = [{ duration: `${ramp}s`, target: rampTarget }];
  if (durationSeconds > ramp)
    stages.push({ duration: `${round(durationSeconds - ramp, 3)}s`, target: profile.users });
  return stages;
}

/** The subset of k6's handleSummary data the mapping reads. */
export interface K6SummaryData {
  state?: { testRunDurationMs?: number };
  metrics: Record<string, { type?: string; values: Record<string, number> } | undefined>;
  root_group?: K6Group;
}

export interface K6Group {
  checks?: Array<{ name: string; passes: number; fails: number }> | Record<string, never>;
  groups?: K6Group[] | Record<string, never>;
}

function k6Group(data: K6SummaryData, tag: string, seconds: number): GroupStats {
  const d = data.metrics[`http_req_duration{${tag}}`]?.values;
  const f = data.metrics[`mcp_request_failed{${tag}}`]?.values;
  if (!d) return emptyStats();
  const requests = d.count ?? 0;
  const failures = f ? (f.passes ?? 0) : 0;
  const stats: GroupStats = {
    requests,
    responses: requests,
    failures,
    failureRate: requests > 0 ? round(failures / requests, 6) : 0,
    rps: seconds > 0 ? round(requests / seconds, 2) : 0,
    min: round(d.min ?? 0),
    mean: round(d.avg ?? 0),
    p50: round(d["p(50)"] ?? d.med ?? 0),
    p90: round(d["p(90)"] ?? 0),
    p95: round(d["p(95)"] ?? 0),
    p99: round(d["p(99)"] ?? 0),
    max: round(d.max ?? 0),
  };
  return stats;
}

function k6Curve(data: K6SummaryData, tag: string): Array<{ percentile: number; ms: number }> {
  const d = data.metrics[`http_req_duration{${tag}}`]?.values;
  if (!d) return [];
  const curve = [{ percentile: 0, ms: round(d.min ?? 0) }];
  for (const p of PERCENTILE_CURVE) {
    const v = d[`p(${p})`];
    if (v !== undefined) curve.push({ percentile: p, ms: round(v) });
  }
  curve.push({ percentile: 100, ms: round(d.max ?? 0) });
  return curve;
}

function collectChecks(group: K6Group | undefined, into: Record<string, number>): void {
  if (!group) return;
  const checks = Array.isArray(group.checks) ? group.checks : [];
  for (const c of checks)
    if (c.fails > 0) into[`check failed: ${c.name}`] = (into[`check failed: ${c.name}`] ?? 0) + c.fails;
  const groups = Array.isArray(group.groups) ? group.groups : [];
  for (const g of groups) collectChecks(g, into);
}

export interface SummaryMeta {
  engine: RunSummary["engine"];
  profile: Profile;
  durationSeconds: number;
  baseUrl: string;
  testId: string;
  startedAt: string;
  thresholds: readonly Threshold[];
}

/** Builds the shared summary from k6's handleSummary data. */
export function summaryFromK6(data: K6SummaryData, meta: SummaryMeta): RunSummary {
  const seconds = (data.state?.testRunDurationMs ?? meta.durationSeconds * 1000) / 1000;
  const byResourceType = {} as Record<ResourceType, GroupStats>;
  for (const t of RESOURCE_TYPES) byResourceType[t] = k6Group(data, `resource_type:${t}`, seconds);
  const byEndpoint = {} as Record<Endpoint, GroupStats>;
  for (const e of ENDPOINTS) byEndpoint[e] = k6Group(data, `endpoint:${e}`, seconds);
  const byCacheResult: Partial<Record<"hit" | "miss", GroupStats>> = {};
  for (const r of ["hit", "miss"] as const) {
    const v = data.metrics[`mcp_request_duration_by_cache{cache_result:${r}}`]?.values;
    if (v && (v.count ?? 0) > 0) {
      byCacheResult[r] = {
        ...emptyStats(),
        requests: v.count ?? 0,
        responses: v.count ?? 0,
        rps: round((v.count ?? 0) / seconds, 2),
        min: round(v.min ?? 0),
        mean: round(v.avg ?? 0),
        p50: round(v["p(50)"] ?? v.med ?? 0),
        p90: round(v["p(90)"] ?? 0),
        p95: round(v["p(95)"] ?? 0),
        p99: round(v["p(99)"] ?? 0),
        max: round(v.max ?? 0),
      };
    }
  }
  const overall = k6Group(data, WORKLOAD_TAG, seconds);
  const failureReasons: Record<string, number> = {};
  collectChecks(data.root_group, failureReasons);
  const distribution: RunSummary["distribution"] = { overall: k6Curve(data, WORKLOAD_TAG) };
  for (const t of RESOURCE_TYPES) distribution[t] = k6Curve(data, `resource_type:${t}`);
  const thresholds = evaluateThresholds(meta.thresholds, { overall, byResourceType });
  return {
    schema: "mcp-loadtest-summary/v1",
    engine: meta.engine,
    profile: meta.profile.name,
    testId: meta.testId,
    baseUrl: meta.baseUrl,
    startedAt: meta.startedAt,
    durationSeconds: round(seconds, 2),
    config: {
      users: meta.profile.users,
      spawnRate: meta.profile.spawnRate,
      durationSeconds: meta.durationSeconds,
    },
    overall,
    byResourceType,
    byEndpoint,
    byCacheResult,
    failureReasons,
    thresholds,
    passed: thresholds.every((t) => t.ok || !t.gating),
    distribution,
  };
}
