import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The shipped content, found relative to this module whether it runs from src/ (tsx) or dist/. */
function defaultContentDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const serviceDir = here.includes(`${path.sep}dist${path.sep}`)
    ? path.resolve(here, "../../../service")
    : path.resolve(here, "..");
  return path.join(serviceDir, "content");
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * A whole number in plain decimal digits. Number() (and z.coerce) would also take " 0x1F90",
 * "1e3" or "80.0", so a typo could silently become a different, valid-looking value.
 */
function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, "must be a whole number in decimal digits")
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

const port = integer(0, 65_535);

/**
 * What node-redis accepts (it parses REDIS_URL with the same WHATWG URL parser) and can connect
 * to: redis:// or rediss://, a host, a port in 1..65535 if given, a database number if given.
 */
function redisUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a redis:// or rediss:// URL with a valid host and port (1-65535)";
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") return "must be a redis:// or rediss:// URL";
  if (!url.hostname) return "must name a host";
  if (url.port === "0") return "port must be 1-65535";
  if (!/^(?:\/\d*)?$/.test(url.pathname)) return "path must be a database number (/0, /1, ...)";
  return undefined;
}

/** A Host-header name without port: a DNS name, an IPv4 address or a bracketed IPv6 address. */
const ALLOWED_HOST = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])$/;
/** What the SDK's localhostHostValidation() allows: the names a loopback bind answers to. */
const LOOPBACK_HOST_NAMES = ["localhost", "127.0.0.1", "[::1]"] as const;

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The MCP Host allow-list: explicit list, `*` for none, unset for "localhost names when bound to loopback". */
function mcpAllowedHosts(explicit: string[] | undefined, host: string): readonly string[] | undefined {
  if (explicit === undefined) return isLoopbackHost(host) ? LOOPBACK_HOST_NAMES : undefined;
  return explicit.includes("*") ? undefined : Object.freeze(explicit);
}

const boolFlag = z
  .enum(["true", "false", "1", "0", "yes", "no", "on", "off"])
  .transform((v) => ["true", "1", "yes", "on"].includes(v));

/** Every setting the service reads from the environment, with its default and its bounds. */
const configSchema = z.object({
  PORT: port.default(8000),
  HOST: z.string().min(1).default("0.0.0.0"),
  REDIS_URL: z
    .string()
    .default("redis://127.0.0.1:6379")
    .superRefine((value, context) => {
      const problem = /\s/.test(value) ? "must not contain whitespace" : redisUrlProblem(value);
      if (problem) context.addIssue({ code: "custom", message: problem });
    }),
  CACHE_TTL_SECONDS: integer(1, 86_400 * 7).default(300),
  /** Upper bound on how long one request may wait on Redis before treating it as a miss. */
  CACHE_TIMEOUT_MS: integer(1, 5_000).default(50),
  /** How often a PING (bounded by CACHE_TIMEOUT_MS) checks that Redis answers. */
  CACHE_HEALTH_INTERVAL_MS: integer(50, 60_000).default(1_000),
  /** Entries larger than this (all variants together) are not stored in Redis. */
  CACHE_MAX_ENTRY_BYTES: integer(1_024, 512 * 1024 * 1024).default(1024 * 1024),
  /**
   * In-process tier in front of Redis, kept coherent by RESP3 client tracking (MiB of bodies;
   * 0 turns it off). Redis stays the shared cache: the tier only holds what Redis holds.
   */
  LOCAL_CACHE_MAX_MB: integer(0, 4_096).default(64),
  CONTENT_DIR: z.string().min(1).default(defaultContentDir()),
  DEFAULT_LANGUAGE: z.string().regex(NAME_PATTERN, "must match ^[a-z0-9][a-z0-9_-]{0,63}$").default("python"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Bodies at least this large get gzip/br variants (the runbook's "compress files >10KB"). */
  COMPRESSION_MIN_BYTES: integer(0, Number.MAX_SAFE_INTEGER).default(10 * 1024),
  SHUTDOWN_TIMEOUT_MS: integer(100, 60_000).default(10_000),
  /** How long a client may take to send a request's headers (against slowloris); Node's is 60 s. */
  HTTP_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  /** How long a client may take to send a whole request, body included; Node's is 300 s. */
  HTTP_REQUEST_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  /** Idle keep-alive connections close after this; longer than common proxies' idle timeouts. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(0, 3_600_000).default(65_000),
  /** Open connections at most; more are dropped on accept (counted). */
  HTTP_MAX_CONNECTIONS: integer(1, 1_000_000).default(4_096),
  /** Requests in progress on the work routes at most; more get 503 with Retry-After. */
  MAX_INFLIGHT_REQUESTS: integer(1, 1_000_000).default(1_024),
  /** POST /mcp requests in progress at most (each can carry a batch); more get 503. */
  MCP_MAX_INFLIGHT: integer(1, 1_000_000).default(64),
  /** resources/read calls one POST /mcp (a batch) may make; later ones get a JSON-RPC error. */
  MCP_MAX_BATCH_READS: integer(1, 10_000).default(32),
  /** Bytes of resource bodies and listings one POST /mcp response may carry. */
  MCP_MAX_RESPONSE_BYTES: integer(1_024, 1024 * 1024 * 1024).default(1024 * 1024),
  /** Fault injection for drills: off unless set explicitly (see docs/runbook.md). */
  FAULTS_ENABLED: boolFlag.default(false),
  /** Bearer token that allows fault control from non-loopback callers (compose drills). */
  FAULTS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * Host names (no port, comma-separated) that POST /mcp accepts in the Host header, against
   * DNS rebinding. Unset: the localhost names when HOST is a loopback address, no check when
   * bound to all interfaces (0.0.0.0, ::). `*` turns the check off.
   */
  MCP_ALLOWED_HOSTS: z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean)
        // A bare IPv6 address is compared in the bracketed form URL.hostname gives.
        .map((h) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h)),
    )
    .refine((hosts) => hosts.length > 0, "must list at least one host name, or be *")
    .refine(
      (hosts) => hosts.every((h) => ALLOWED_HOST.test(h)) || (hosts.length === 1 && hosts[0] === "*"),
      "must be comma-separated host names without port (IPv6 as [::1]), or *",
    )
    .optional(),
});

/** Node refuses a headers timeout longer than the request timeout; say which variable to change. */
const checkedSchema = configSchema.superRefine((c, context) => {
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    context.addIssue({
      code: "custom",
      path: ["HTTP_HEADERS_TIMEOUT_MS"],
      message: `must not exceed HTTP_REQUEST_TIMEOUT_MS (${c.HTTP_REQUEST_TIMEOUT_MS})`,
    });
  }
});

export type Config = Readonly<{
  port: number;
  host: string;
  redisUrl: string;
  cacheTtlSeconds: number;
  cacheTimeoutMs: number;
  cacheHealthIntervalMs: number;
  cacheMaxEntryBytes: number;
  /** Byte budget of the in-process tier; 0 when it is off. */
  localCacheMaxBytes: number;
  contentDir: string;
  defaultLanguage: string;
  logLevel: z.infer<typeof configSchema>["LOG_LEVEL"];
  compressionMinBytes: number;
  shutdownTimeoutMs: number;
  http: Readonly<{
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  }>;
  /** In-flight bounds: the work routes, and POST /mcp within them. */
  maxInflightRequests: number;
  mcpMaxInflight: number;
  /** Per-request bounds of POST /mcp. */
  mcp: Readonly<{ maxBatchReads: number; maxResponseBytes: number }>;
  faultsEnabled: boolean;
  faultsToken: string | undefined;
  /** Host-header allow-list for POST /mcp; undefined means no Host check. */
  mcpAllowedHosts: readonly string[] | undefined;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as they do in most shells' `VAR= cmd` habits.
  const raw = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key] === "" ? undefined : env[key]]),
  );
  const parsed = checkedSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "?");
        return `${variable}=${JSON.stringify(env[variable] ?? "")}: ${issue.message}`;
      }),
    );
  }
  const c = parsed.data;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    redisUrl: c.REDIS_URL,
    cacheTtlSeconds: c.CACHE_TTL_SECONDS,
    cacheTimeoutMs: c.CACHE_TIMEOUT_MS,
    cacheHealthIntervalMs: c.CACHE_HEALTH_INTERVAL_MS,
    cacheMaxEntryBytes: c.CACHE_MAX_ENTRY_BYTES,
    localCacheMaxBytes: c.LOCAL_CACHE_MAX_MB * 1024 * 1024,
    contentDir: path.resolve(c.CONTENT_DIR),
    defaultLanguage: c.DEFAULT_LANGUAGE,
    logLevel: c.LOG_LEVEL,
    compressionMinBytes: c.COMPRESSION_MIN_BYTES,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    http: Object.freeze({
      headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: c.HTTP_MAX_CONNECTIONS,
    }),
    maxInflightRequests: c.MAX_INFLIGHT_REQUESTS,
    mcpMaxInflight: c.MCP_MAX_INFLIGHT,
    mcp: Object.freeze({ maxBatchReads: c.MCP_MAX_BATCH_READS, maxResponseBytes: c.MCP_MAX_RESPONSE_BYTES }),
    faultsEnabled: c.FAULTS_ENABLED,
    faultsToken: c.FAULTS_TOKEN,
    mcpAllowedHosts: mcpAllowedHosts(c.MCP_ALLOWED_HOSTS, c.HOST),
  });
}
