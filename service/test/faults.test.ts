import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

async function timed(url: string, init?: RequestInit): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, body };
}

const putFaults = (url: string, body: unknown) =>
  fetch(`${url}/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("fault injection disabled (the default)", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "silent" });
  });
  afterAll(async () => {
    await t.close();
  });

  it("has no control endpoint", async () => {
    expect((await putFaults(t.url, { errorRate: 1 })).status).toBe(404);
    expect((await fetch(`${t.url}/faults`)).status).toBe(404);
    expect((await fetch(`${t.url}/faults`, { method: "DELETE" })).status).toBe(404);
    expect((await timed(`${t.url}/mcp/resources/templates/prd`)).status).toBe(200);
  });

  it("ignores the fault headers", async () => {
    const errored = await timed(`${t.url}/mcp/resources/templates/prd`, {
      headers: { "X-Fault-Error": "1" },
    });
    expect(errored.status).toBe(200);
    const delayed = await timed(`${t.url}/mcp/resources/templates/prd`, {
      headers: { "X-Fault-Delay-Ms": "500" },
    });
    expect(delayed.status).toBe(200);
    expect(delayed.ms).toBeLessThan(300);
  });

  it("ignores FAULTS_TOKEN without FAULTS_ENABLED", async () => {
    const withToken = await startTestService({
      LOG_LEVEL: "silent",
      FAULTS_TOKEN: "a-long-enough-drill-token",
    });
    try {
      const response = await fetch(`${withToken.url}/faults`, {
        method: "PUT",
        headers: { authorization: "Bearer a-long-enough-drill-token", "content-type": "application/json" },
        body: JSON.stringify({ errorRate: 1 }),
      });
      expect(response.status).toBe(404);
    } finally {
      await withToken.close();
    }
  });
});

describe("fault injection enabled (FAULTS_ENABLED=true)", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "silent", FAULTS_ENABLED: "true", CACHE_TIMEOUT_MS: "50" });
  });
  afterAll(async () => {
    await t.close();
  });

  it("injects 503s on the chosen resource type only", async () => {
    const set = await putFaults(t.url, { errorRate: 1, errorResourceTypes: ["templates"] });
    expect(set.status).toBe(200);
    const failed = await timed(`${t.url}/mcp/resources/templates/prd`);
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.body)).toMatchObject({ type: "/problems/injected-fault", status: 503 });
    expect((await timed(`${t.url}/mcp/resources/patterns/core`)).status).toBe(200);
    const exposition = await scrape(t.url);
    // Injected errors carry the route template, so error-ratio alerts see them.
    expect(
      sampleValue(exposition, "http_request_duration_seconds_count", {
        route: "/mcp/resources/templates/:artifact_type",
        status_code: "503",
      }),
    ).toBe(1);
    await fetch(`${t.url}/faults`, { method: "DELETE" });
    expect((await timed(`${t.url}/mcp/resources/templates/prd`)).status).toBe(200);
  });

  it("slows file reads on cache misses only", async () => {
    await putFaults(t.url, { fileReadDelayMs: 200 });
    const miss = await timed(`${t.url}/mcp/resources/templates/research`);
    expect(miss.ms).toBeGreaterThanOrEqual(190);
    await new Promise((r) => setTimeout(r, 100));
    const hit = await timed(`${t.url}/mcp/resources/templates/research`);
    expect(hit.ms).toBeLessThan(150);
    await fetch(`${t.url}/faults`, { method: "DELETE" });
  });

  it("slows cache calls, which then time out into misses", async () => {
    const before = sampleValue(await scrape(t.url), "mcp_resource_cache_errors_total", { operation: "get" });
    await putFaults(t.url, { cacheDelayMs: 200 });
    const slowed = await timed(`${t.url}/mcp/resources/templates/adr`);
    expect(slowed.status).toBe(200);
    expect(slowed.ms).toBeLessThan(180);
    expect(
      sampleValue(await scrape(t.url), "mcp_resource_cache_errors_total", { operation: "get" }),
    ).toBeGreaterThan(before);
    await fetch(`${t.url}/faults`, { method: "DELETE" });
  });

  it("honours the per-request headers", async () => {
    expect(
      (await timed(`${t.url}/mcp/resources/sdlc/core`, { headers: { "X-Fault-Error": "1" } })).status,
    ).toBe(503);
    const delayed = await timed(`${t.url}/mcp/resources/sdlc/core`, {
      headers: { "X-Fault-Delay-Ms": "150" },
    });
    expect(delayed.status).toBe(200);
    expect(delayed.ms).toBeGreaterThanOrEqual(140);
  });

  it("rejects invalid fault settings with a 400 problem", async () => {
    for (const body of [
      { errorRate: 2 },
      { fileReadDelayMs: -1 },
      { unknown: 1 },
      { errorResourceTypes: ["x"] },
    ]) {
      const response = await putFaults(t.url, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    const malformed = await fetch(`${t.url}/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect(await (await fetch(`${t.url}/faults`)).json()).toEqual({
      fileReadDelayMs: 0,
      cacheDelayMs: 0,
      errorRate: 0,
      errorResourceTypes: [],
    });
  });
});
