/**
 * Rewrites of the committed Prometheus, Alertmanager, HAProxy and Sentinel configs for runs
 * outside compose (native stack, tests, drills): compose hostnames become loopback addresses,
 * everything else stays as committed. Pure functions over parsed YAML or config text, so
 * callers decide where files go.
 */
import path from "node:path";
import { parseDuration } from "../contract/duration.js";

type YamlMap = Record<string, unknown>;

function asMap(value: unknown, what: string): YamlMap {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new Error(`${what} is not a mapping`);
  return value as YamlMap;
}

function asList(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

export interface PrometheusRewrite {
  /**
   * job name -> "host:port", or several (replicas). Jobs of the config missing here are
   * dropped: nothing to scrape.
   */
  readonly scrapeTargets: Readonly<Record<string, string | readonly string[]>>;
  /**
   * job name -> a file_sd JSON file the caller writes with that job's targets
   * (`fileSdTargets()`): such jobs are discovered from the file instead of listed statically,
   * as compose discovers replicas through DNS, so their targets may change without a reload.
   */
  readonly targetFiles?: Readonly<Record<string, string>>;
  /**
   * Compose (Prometheus inside the project's network): every job stays as committed, DNS
   * discovery included, and `scrapeTargets` is ignored; only intervals, rules and alerting change.
   */
  readonly keepTargets?: boolean;
  /** "host:port" of Alertmanagers; none removes the alerting section. */
  readonly alertmanagers?: readonly string[];
  /** Rule file globs; relative ones resolve against `configDir` (as Prometheus would). */
  readonly ruleFiles?: readonly string[];
  /** Directory of the original config, for its relative rule_files. */
  readonly configDir: string;
  readonly scrapeInterval?: string;
  readonly evaluationInterval?: string;
}

/**
 * A Prometheus config's `global` block with the given scrape and evaluation intervals (each
 * left as it is when not given); a scrape timeout longer than the new interval is shortened
 * to it, since Prometheus rejects one that is longer.
 */
export function globalWithIntervals(
  global: unknown,
  intervals: { scrapeInterval?: string | undefined; evaluationInterval?: string | undefined },
): YamlMap {
  const out = { ...asMap(global ?? {}, "global") };
  if (intervals.scrapeInterval) {
    out.scrape_interval = intervals.scrapeInterval;
    const timeout = typeof out.scrape_timeout === "string" ? out.scrape_timeout : "10s";
    if (parseDuration(timeout) > parseDuration(intervals.scrapeInterval))
      out.scrape_timeout = intervals.scrapeInterval;
  }
  if (intervals.evaluationInterval) out.evaluation_interval = intervals.evaluationInterval;
  return out;
}

export function rewritePrometheusConfig(config: unknown, rewrite: PrometheusRewrite): YamlMap {
  const source = asMap(config, "prometheus config");
  const out: YamlMap = structuredClone(source);
  out.global = globalWithIntervals(out.global, rewrite);

  const jobs = asList(source.scrape_configs ?? [], "scrape_configs").map((j) => asMap(j, "scrape config"));
  if (rewrite.keepTargets) return finish(out, source, rewrite);
  const known = new Set(jobs.map((j) => String(j.job_name)));
  const unknown = Object.keys(rewrite.scrapeTargets).filter((job) => !known.has(job));
  if (unknown.length) throw new Error(`no scrape config for job(s) ${unknown.join(", ")} in prometheus.yml`);
  out.scrape_configs = jobs
    .filter((j) => rewrite.scrapeTargets[String(j.job_name)] !== undefined)
    .map((j) => {
      const job = String(j.job_name);
      // Compose's discovery (dns_sd_configs on service names) means nothing on loopback.
      const kept = Object.fromEntries(
        Object.entries(j).filter(([key]) => key !== "static_configs" && !key.endsWith("_sd_configs")),
      );
      const file = rewrite.targetFiles?.[job];
      if (file) return { ...kept, file_sd_configs: [{ files: [file], refresh_interval: "5s" }] };
      return { ...kept, static_configs: [{ targets: [rewrite.scrapeTargets[job]].flat() }] };
    });

  return finish(out, source, rewrite);
}

/** Rule files and alerting, the same whether targets were rewritten or kept. */
function finish(out: YamlMap, source: YamlMap, rewrite: PrometheusRewrite): YamlMap {
  const ruleFiles = rewrite.ruleFiles ?? asList(source.rule_files ?? [], "rule_files").map(String);
  out.rule_files = ruleFiles.map((file) => path.resolve(rewrite.configDir, file));

  if (rewrite.alertmanagers?.length) {
    out.alerting = { alertmanagers: [{ static_configs: [{ targets: [...rewrite.alertmanagers] }] }] };
  } else {
    delete out.alerting;
  }
  return out;
}

/** The content of a file_sd JSON file listing `targets` (Prometheus 2 and 3 read it alike). */
export function fileSdTargets(targets: readonly string[]): string {
  return `${JSON.stringify([{ targets: [...targets], labels: {} }], null, 2)}\n`;
}

export interface AlertmanagerRewrite {
  /** Origin (e.g. http://127.0.0.1:41234) that replaces every webhook URL's origin; paths stay. */
  readonly webhookBaseUrl?: string;
  /** Shorter group_wait / group_interval / repeat_interval for every route (drills, tests). */
  readonly timings?: Readonly<Partial<Record<"group_wait" | "group_interval" | "repeat_interval", string>>>;
}

function retime(
  route: YamlMap,
  timings: NonNullable<AlertmanagerRewrite["timings"]>,
  isRoot: boolean,
): YamlMap {
  const out: YamlMap = { ...route };
  for (const [key, value] of Object.entries(timings)) {
    // Child routes inherit unless they set their own; only override where a value is set.
    if (value !== undefined && (isRoot || key in out)) out[key] = value;
  }
  if (Array.isArray(out.routes))
    out.routes = out.routes.map((r) => retime(asMap(r, "route"), timings, false));
  return out;
}

export function rewriteAlertmanagerConfig(config: unknown, rewrite: AlertmanagerRewrite): YamlMap {
  const out: YamlMap = structuredClone(asMap(config, "alertmanager config"));
  if (rewrite.webhookBaseUrl) {
    const base = new URL(rewrite.webhookBaseUrl);
    out.receivers = asList(out.receivers ?? [], "receivers").map((r) => {
      const receiver = asMap(r, "receiver");
      if (!Array.isArray(receiver.webhook_configs)) return receiver;
      return {
        ...receiver,
        webhook_configs: receiver.webhook_configs.map((w) => {
          const hook = asMap(w, "webhook config");
          const url = new URL(String(hook.url));
          return { ...hook, url: `${base.origin}${url.pathname}${url.search}` };
        }),
      };
    });
  }
  if (rewrite.timings) out.route = retime(asMap(out.route, "route"), rewrite.timings, true);
  return out;
}

/** HAProxy section keywords: a line starting with one (unindented) opens a section. */
const HAPROXY_SECTION =
  /^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|mailers|program|http-errors|ring|cache)\b/;

export interface HaproxyRewrite {
  /** Port in the committed `bind :PORT` -> the loopback port to bind instead. */
  readonly binds: Readonly<Record<number, number>>;
  /** Addresses ("127.0.0.1:port") that replace a `server-template` line, one server each. */
  readonly templateServers?: readonly string[];
  /** Server name (its compose host name) -> loopback address, for the explicit `server` lines. */
  readonly servers?: Readonly<Record<string, string>>;
}

/** Drops `resolvers <name>` and `init-addr <methods>` from a server or default-server line. */
function withoutDnsParams(line: string): string {
  return line.replace(/\s+(resolvers|init-addr)\s+\S+/g, "");
}

/**
 * infra/haproxy/*.cfg (compose form) for loopback: every `bind :PORT` on 127.0.0.1 and the
 * port `binds` maps it to; the service's `server-template` becomes one `server <prefix>-<n>`
 * line per address (n from 1, as the template numbers them) keeping its parameters; explicit
 * servers (the Redis nodes) point at their loopback address; Docker's resolvers section and
 * every `resolvers`/`init-addr` parameter go, since nothing here resolves through Docker's DNS.
 * Throws on a bind or server it has no address for, so a config change cannot silently
 * leave a compose name behind.
 */
export function rewriteHaproxyConfig(text: string, rewrite: HaproxyRewrite): string {
  const out: string[] = [];
  let inResolvers = false;
  for (const line of text.split("\n")) {
    const section = HAPROXY_SECTION.exec(line);
    if (section) inResolvers = section[1] === "resolvers";
    if (inResolvers) continue;
    const trimmed = line.trim();
    const indent = line.slice(0, line.length - line.trimStart().length);
    const bind = /^bind\s+:(\d+)(.*)$/.exec(trimmed);
    if (bind) {
      const port = rewrite.binds[Number(bind[1])];
      if (port === undefined) throw new Error(`haproxy config: no loopback port for \`${trimmed}\``);
      out.push(`${indent}bind 127.0.0.1:${port}${bind[2]}`);
      continue;
    }
    const template = /^server-template\s+(\S+)\s+\S+\s+\S+(.*)$/.exec(trimmed);
    if (template) {
      if (!rewrite.templateServers?.length)
        throw new Error(`haproxy config: no addresses for \`${trimmed}\``);
      const params = withoutDnsParams(template[2] ?? "");
      rewrite.templateServers.forEach((address, i) => {
        out.push(`${indent}server ${template[1]}-${i + 1} ${address}${params}`);
      });
      continue;
    }
    const server = /^server\s+(\S+)\s+\S+(.*)$/.exec(trimmed);
    if (server) {
      const address = rewrite.servers?.[server[1] ?? ""];
      if (address === undefined) throw new Error(`haproxy config: no loopback address for \`${trimmed}\``);
      out.push(`${indent}server ${server[1]} ${address}${withoutDnsParams(server[2] ?? "")}`);
      continue;
    }
    out.push(/^default-server\b/.test(trimmed) ? withoutDnsParams(line) : line);
  }
  return out.join("\n");
}

export interface SentinelRewrite {
  readonly port: number;
  /** The initial master's loopback port. */
  readonly masterPort: number;
  /** Sentinel's working directory (it keeps nothing there, but must not use the repo's). */
  readonly dir: string;
}

/**
 * infra/redis/sentinel.conf (compose form) for loopback: this sentinel's port on 127.0.0.1,
 * and the monitored master at 127.0.0.1:<masterPort> instead of its compose name.
 */
export function rewriteSentinelConfig(text: string, rewrite: SentinelRewrite): string {
  let monitors = 0;
  const lines = text.split("\n").map((line) => {
    if (/^port\s+\d+/.test(line)) return `port ${rewrite.port}`;
    const monitor = /^sentinel\s+monitor\s+(\S+)\s+\S+\s+\d+\s+(\d+)\s*$/.exec(line);
    if (monitor) {
      monitors += 1;
      return `sentinel monitor ${monitor[1]} 127.0.0.1 ${rewrite.masterPort} ${monitor[2]}`;
    }
    return line;
  });
  if (monitors !== 1)
    throw new Error(`sentinel config: expected one \`sentinel monitor\` line, found ${monitors}`);
  return [...lines, "bind 127.0.0.1", `dir ${rewrite.dir}`, ""].join("\n");
}
