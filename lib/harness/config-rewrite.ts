/**
 * Rewrites of the committed Prometheus and Alertmanager configs for runs outside compose
 * (native stack, tests, drills): compose hostnames become loopback addresses, everything else
 * stays as committed. Pure functions over parsed YAML, so callers decide where files go.
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
  /** job name -> "host:port". Jobs of the config missing here are dropped: nothing to scrape. */
  readonly scrapeTargets: Readonly<Record<string, string>>;
  /** "host:port" of Alertmanagers; none removes the alerting section. */
  readonly alertmanagers?: readonly string[];
  /** Rule file globs; relative ones resolve against `configDir` (as Prometheus would). */
  readonly ruleFiles?: readonly string[];
  /** Directory of the original config, for its relative rule_files. */
  readonly configDir: string;
  readonly scrapeInterval?: string;
  readonly evaluationInterval?: string;
}

export function rewritePrometheusConfig(config: unknown, rewrite: PrometheusRewrite): YamlMap {
  const source = asMap(config, "prometheus config");
  const out: YamlMap = structuredClone(source);
  const global = asMap(out.global ?? {}, "global");
  if (rewrite.scrapeInterval) {
    global.scrape_interval = rewrite.scrapeInterval;
    // Prometheus rejects a scrape timeout longer than the interval.
    const timeout = typeof global.scrape_timeout === "string" ? global.scrape_timeout : "10s";
    if (parseDuration(timeout) > parseDuration(rewrite.scrapeInterval))
      global.scrape_timeout = rewrite.scrapeInterval;
  }
  if (rewrite.evaluationInterval) global.evaluation_interval = rewrite.evaluationInterval;
  out.global = global;

  const jobs = asList(source.scrape_configs ?? [], "scrape_configs").map((j) => asMap(j, "scrape config"));
  const known = new Set(jobs.map((j) => String(j.job_name)));
  const unknown = Object.keys(rewrite.scrapeTargets).filter((job) => !known.has(job));
  if (unknown.length) throw new Error(`no scrape config for job(s) ${unknown.join(", ")} in prometheus.yml`);
  out.scrape_configs = jobs
    .filter((j) => rewrite.scrapeTargets[String(j.job_name)] !== undefined)
    .map((j) => ({
      ...j,
      // Loopback targets carry no TLS or service discovery: static config only.
      static_configs: [{ targets: [rewrite.scrapeTargets[String(j.job_name)]] }],
    }));

  const ruleFiles = rewrite.ruleFiles ?? asList(source.rule_files ?? [], "rule_files").map(String);
  out.rule_files = ruleFiles.map((file) => path.resolve(rewrite.configDir, file));

  if (rewrite.alertmanagers?.length) {
    out.alerting = { alertmanagers: [{ static_configs: [{ targets: [...rewrite.alertmanagers] }] }] };
  } else {
    delete out.alerting;
  }
  return out;
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
