import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { rewriteAlertmanagerConfig, rewritePrometheusConfig } from "../../lib/harness/config-rewrite.js";
import { CONFIG_PATHS } from "../../lib/repo.js";

describe("rewritePrometheusConfig", () => {
  it("points jobs at loopback, drops the others, resolves rule files and shortens intervals", async () => {
    const original = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    const out = rewritePrometheusConfig(original, {
      scrapeTargets: { "mcp-resource-service": "127.0.0.1:1111", redis: "127.0.0.1:2222" },
      alertmanagers: ["127.0.0.1:3333"],
      configDir: "/repo/infra/prometheus",
      scrapeInterval: "1s",
      evaluationInterval: "1s",
    });
    expect(out.global).toEqual({ scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "1s" });
    expect(out.scrape_configs).toEqual([
      expect.objectContaining({
        job_name: "mcp-resource-service",
        static_configs: [{ targets: ["127.0.0.1:1111"] }],
      }),
      expect.objectContaining({ job_name: "redis", static_configs: [{ targets: ["127.0.0.1:2222"] }] }),
    ]);
    expect(out.rule_files).toEqual(["/repo/infra/prometheus/rules/*.yml"]);
    expect(out.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:3333"] }] }] });
    // The parsed original is untouched.
    expect(original.global.scrape_interval).toBe("15s");
  });

  it("refuses a job the config does not have (a typo would silently scrape nothing)", async () => {
    const original = parse(await readFile(CONFIG_PATHS.prometheus, "utf8"));
    expect(() =>
      rewritePrometheusConfig(original, { scrapeTargets: { "mcp-resource-servce": "x:1" }, configDir: "/" }),
    ).toThrow(/mcp-resource-servce/);
  });
});

describe("rewriteAlertmanagerConfig", () => {
  it("moves every webhook to the given origin, keeping paths, and can shorten route timings", async () => {
    const original = parse(await readFile(CONFIG_PATHS.alertmanager, "utf8"));
    const out = rewriteAlertmanagerConfig(original, {
      webhookBaseUrl: "http://127.0.0.1:4444",
      timings: { group_wait: "1s", group_interval: "1s" },
    });
    const urls = (out.receivers as { webhook_configs: { url: string }[] }[]).flatMap((r) =>
      r.webhook_configs.map((w) => w.url),
    );
    expect(urls).toEqual([
      "http://127.0.0.1:4444/page",
      "http://127.0.0.1:4444/ticket",
      "http://127.0.0.1:4444/watchdog",
    ]);
    const route = out.route as { group_wait: string; routes: { receiver: string; group_wait?: string }[] };
    const child = (receiver: string) => route.routes.find((r) => r.receiver === receiver);
    expect(route.group_wait).toBe("1s");
    expect(child("watchdog")?.group_wait).toBe("1s");
    expect(child("page")?.group_wait).toBe("1s");
    // A child that inherited its timing keeps inheriting.
    expect(child("ticket")?.group_wait).toBeUndefined();
  });
});
