import { beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../src/workload/summary.js";
import { bundleK6Script } from "./k6-standin.js";

/**
 * k6 itself cannot run here, so its scripts run on stand-ins for k6's modules (k6-standin.ts),
 * driven like k6 does: options read, setup() once, the default function per iteration, and
 * handleSummary() with end-of-test data. This catches runtime errors the type-check cannot.
 */

interface K6Module {
  options: {
    scenarios: { resources: { executor: string; stages: Array<{ duration: string; target: number }> } };
    thresholds: Record<string, string[]>;
    tags: Record<string, string>;
  };
  setup: () => { startedAt: string };
  default: () => void;
  handleSummary: (data: unknown) => Record<string, string>;
}

interface Harness {
  checks: Array<{ name: string; passed: boolean; tags: Record<string, string> }>;
  samples: Array<{ metric: string; value: number | boolean; tags: Record<string, string> }>;
  requests: Array<{ url: string; tags: Record<string, string> }>;
  get: (url: string, params: { tags?: Record<string, string> }) => unknown;
}

function response(url: string, broken: boolean) {
  const u = new URL(url);
  const template = /^\/mcp\/resources\/templates\/(.+)$/.exec(u.pathname);
  const pattern = /^\/mcp\/resources\/patterns\/(.+)$/.exec(u.pathname);
  const resource = (uri: string) => ({ contents: [{ uri, mimeType: "text/markdown", text: "x" }] });
  let body: unknown = { status: "ready" };
  if (u.pathname === "/mcp/resources/sdlc/core") body = resource("sdlc://core");
  else if (u.pathname === "/mcp/resources/templates")
    body = { resources: [{ uri: "sdlc://templates/prd", name: "prd" }] };
  else if (template) body = resource(`sdlc://templates/${template[1]}`);
  else if (pattern) body = resource(`sdlc://patterns/${u.searchParams.get("language")}/${pattern[1]}`);
  const isPattern = u.pathname.startsWith("/mcp/resources/patterns/");
  return {
    status: broken && isPattern ? 503 : 200,
    body: JSON.stringify(body),
    headers: { "X-Cache": "HIT", "Content-Type": "application/json" },
    timings: { duration: 4.2 },
  };
}

let loads = 0;

async function load(
  entry: string,
  env: Record<string, string>,
  broken = false,
): Promise<{ mod: K6Module; h: Harness }> {
  const bundled = await bundleK6Script(entry);
  const h: Harness = {
    checks: [],
    samples: [],
    requests: [],
    get(url, params) {
      h.requests.push({ url, tags: params.tags ?? {} });
      return response(url, broken);
    },
  };
  const g = globalThis as unknown as { __k6: Harness; __ENV: Record<string, string> };
  g.__k6 = h;
  g.__ENV = env;
  // A unique suffix: Node caches modules by URL, and each load must run the init code anew.
  const code = `${bundled}\n// load ${++loads}\n`;
  const mod = (await import(
    `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`
  )) as K6Module;
  return { mod, h };
}

describe("k6 scripts on stand-in k6 modules", () => {
  let quick: { mod: K6Module; h: Harness };
  beforeAll(async () => {
    quick = await load("quick.ts", {
      BASE_URL: "http://127.0.0.1:8000",
      GATE: "ci",
      TEST_ID: "t-1",
      OUT_DIR: "out/",
    });
  });

  it("build options from the workload: the profile's ramp, per-tag thresholds, the test id tag", () => {
    const { options } = quick.mod;
    expect(options.scenarios.resources.executor).toBe("ramping-vus");
    expect(options.scenarios.resources.stages).toEqual([
      { duration: "6s", target: 30 },
      { duration: "54s", target: 30 },
    ]);
    expect(options.thresholds["http_req_duration{workload:mcp}"]).toEqual(["max>=0", "p(95)<100"]);
    expect(options.thresholds["mcp_request_failed{workload:mcp}"]).toEqual(["rate>=0", "rate<=0"]);
    expect(options.tags).toEqual({ testid: "t-1", profile: "quick" });
  });

  it("check /readyz in setup and tag, check and record every request", () => {
    const { mod, h } = quick;
    expect(mod.setup().startedAt).toMatch(/^\d{4}-/);
    expect(h.requests[0]?.url).toBe("http://127.0.0.1:8000/readyz");
    for (let i = 0; i < 300; i++) mod.default();
    const load = h.requests.slice(1);
    expect(load).toHaveLength(300);
    for (const r of load) {
      expect(r.tags.workload).toBe("mcp");
      expect(["sdlc", "patterns", "templates"]).toContain(r.tags.resource_type);
      expect(r.tags.name).toBe(r.tags.endpoint);
    }
    expect(h.checks.length).toBe(600);
    expect(h.checks.every((c) => c.passed)).toBe(true);
    const failed = h.samples.filter((s) => s.metric === "mcp_request_failed");
    expect(failed).toHaveLength(300);
    expect(failed.every((s) => s.value === false)).toBe(true);
    expect(h.samples.filter((s) => s.metric === "mcp_request_duration_by_cache")[0]).toMatchObject({
      value: 4.2,
      tags: { cache_result: "hit" },
    });
  });

  it("write the shared summary, text, CSV and HTML from handleSummary", () => {
    const data = {
      state: { testRunDurationMs: 60_000 },
      metrics: {
        "http_req_duration{workload:mcp}": {
          values: {
            count: 6000,
            avg: 5,
            min: 1,
            med: 4,
            max: 90,
            "p(50)": 4,
            "p(90)": 9,
            "p(95)": 12,
            "p(99)": 30,
          },
        },
        "mcp_request_failed{workload:mcp}": { values: { rate: 0, passes: 0, fails: 6000 } },
      },
      root_group: { checks: [], groups: [] },
    };
    const files = quick.mod.handleSummary(data);
    expect(Object.keys(files).sort()).toEqual(
      ["out/report.html", "out/stats.csv", "out/summary.json", "out/summary.txt", "stdout"].sort(),
    );
    const summary = JSON.parse(files["out/summary.json"] as string) as RunSummary;
    expect(summary).toMatchObject({ engine: "k6", profile: "quick", testId: "t-1", passed: true });
    expect(summary.overall).toMatchObject({ requests: 6000, rps: 100, p95: 12 });
    expect(files.stdout).toMatch(/RESULT: PASS/);
  });

  it("count a bad status as a failed check and a failed request", async () => {
    const { mod, h } = await load("script.ts", { PROFILE: "warmup" }, true);
    expect(mod.options.scenarios.resources.stages[0]).toEqual({ duration: "2s", target: 10 });
    for (let i = 0; i < 200; i++) mod.default();
    const patterns = h.samples.filter(
      (s) => s.metric === "mcp_request_failed" && s.tags.resource_type === "patterns",
    );
    expect(patterns.length).toBeGreaterThan(0);
    expect(patterns.every((s) => s.value === true)).toBe(true);
    expect(h.checks.filter((c) => !c.passed).every((c) => c.tags.resource_type === "patterns")).toBe(true);
  });

  it("refuse a remote target unless it is the compose service or explicitly allowed", async () => {
    await expect(load("script.ts", { BASE_URL: "http://10.0.0.8:8000" })).rejects.toThrow(
      /refusing to load-test/,
    );
    const compose = await load("full.ts", { BASE_URL: "http://mcp-resource-service:8000" });
    expect(compose.mod.options.thresholds["http_reqs{workload:mcp}"]).toEqual(["rate>500"]);
    const custom = await load("script.ts", { PROFILE: "quick", USERS: "8", SPAWN_RATE: "8", DURATION: "5s" });
    expect(custom.mod.options.scenarios.resources.stages).toEqual([
      { duration: "1s", target: 8 },
      { duration: "4s", target: 8 },
    ]);
    const named = await load("stress.ts", {
      BASE_URL: "http://loadtarget:8000",
      ALLOWED_TARGET_HOSTS: "loadtarget",
    });
    expect(named.mod.options.scenarios.resources.stages[0]).toEqual({ duration: "10s", target: 500 });
  });
});
