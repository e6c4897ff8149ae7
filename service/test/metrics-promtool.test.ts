/**
 * The service's live /metrics through `promtool check metrics` of the pinned Prometheus: the
 * exposition Prometheus scrapes must follow its naming rules (counters end in _total, nothing
 * else does, base units), default Node metrics included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinary } from "../../lib/harness/binaries.js";
import { readPins } from "../../lib/pins.js";
import { run } from "../../test/support/exec.js";
import { parseExposition } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const promtool = findBinary(["promtool"]);
let t: TestService;
let exposition: string;

beforeAll(async () => {
  t = await startTestService({ LOG_LEVEL: "silent" });
  // Every kind of series the service has: hits and misses, a 404, a 400, MCP.
  for (const route of [
    "/mcp/resources/sdlc/core",
    "/mcp/resources/sdlc/core",
    "/mcp/resources/patterns/core?language=python",
    "/mcp/resources/templates",
    "/mcp/resources/templates/no-such-template",
    "/mcp/resources/patterns/Not-Valid",
  ]) {
    await (await fetch(`${t.url}${route}`)).arrayBuffer();
  }
  // Plain text format 0.0.4, as a scrape without an Accept header (promtool's parser).
  const response = await fetch(`${t.url}/metrics`);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  exposition = await response.text();
});

afterAll(async () => {
  await t?.close();
});

describe("the service's /metrics", () => {
  it(`passes promtool check metrics (Prometheus ${readPins().PROMETHEUS_VERSION})`, async () => {
    const version = await run(promtool, ["--version"]);
    expect(version.stdout).toContain(`version ${readPins().PROMETHEUS_VERSION} `);
    const result = await run(promtool, ["check", "metrics"], { input: exposition });
    expect(result.stdout + result.stderr, "promtool's findings").toBe("");
    expect(result.code).toBe(0);
  });

  it("is checked for real: promtool flags a gauge named like a counter", async () => {
    const bad = "# HELP demo_things_total Things.\n# TYPE demo_things_total gauge\ndemo_things_total 1\n";
    const result = await run(promtool, ["check", "metrics"], { input: bad });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('non-counter metrics should not have "_total" suffix');
  });

  it("keeps the active handle, request and resource counts, by type", () => {
    const { samples, types } = parseExposition(exposition);
    for (const family of ["nodejs_active_handles", "nodejs_active_requests", "nodejs_active_resources"]) {
      expect(types.get(family), family).toBe("gauge");
      expect(types.has(`${family}_total`), `${family}_total`).toBe(false);
    }
    // A listening server and the Redis socket keep the process alive: both are counted.
    const handles = samples.filter((s) => s.name === "nodejs_active_handles");
    expect(handles.every((s) => s.labels.type)).toBe(true);
    expect(handles.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === "nodejs_active_resources" && s.value > 0)).toBe(true);
  });
});
