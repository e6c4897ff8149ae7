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

const port = z.coerce.number().int().min(0).max(65_535);
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
    .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), "must be a redis:// or rediss:// URL"),
  CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400 * 7)
    .default(300),
  /** Upper bound on how long one request may wait on Redis before treating it as a miss. */
  CACHE_TIMEOUT_MS: z.coerce.number().int().min(1).max(5_000).default(50),
  CONTENT_DIR: z.string().min(1).default(defaultContentDir()),
  DEFAULT_LANGUAGE: z.string().regex(NAME_PATTERN, "must match ^[a-z0-9][a-z0-9_-]{0,63}$").default("python"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Bodies at least this large get gzip/br variants (the runbook's "compress files >10KB"). */
  COMPRESSION_MIN_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(10 * 1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Fault injection for drills: off unless set explicitly (see docs/runbook.md). */
  FAULTS_ENABLED: boolFlag.default(false),
  /** Bearer token that allows fault control from non-loopback callers (compose drills). */
  FAULTS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
});

export type Config = Readonly<{
  port: number;
  host: string;
  redisUrl: string;
  cacheTtlSeconds: number;
  cacheTimeoutMs: number;
  contentDir: string;
  defaultLanguage: string;
  logLevel: z.infer<typeof configSchema>["LOG_LEVEL"];
  compressionMinBytes: number;
  shutdownTimeoutMs: number;
  faultsEnabled: boolean;
  faultsToken: string | undefined;
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
  const parsed = configSchema.safeParse(raw);
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
    contentDir: path.resolve(c.CONTENT_DIR),
    defaultLanguage: c.DEFAULT_LANGUAGE,
    logLevel: c.LOG_LEVEL,
    compressionMinBytes: c.COMPRESSION_MIN_BYTES,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    faultsEnabled: c.FAULTS_ENABLED,
    faultsToken: c.FAULTS_TOKEN,
  });
}
