import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseExposition } from "../../test/support/exposition.js";
import { startTracingSdk } from "../src/telemetry/sdk.js";
import { newTraceparent, OPENMETRICS_ACCEPT, parseExemplars, waitFor } from "./tracing-helpers.js";

/**
 * The span tree of real requests, in-process, with the SDK's in-memory exporter: the same
 * NodeSDK and instrumentation set as production (telemetry/sdk.ts), only the exporter differs.
 *
 * The SDK starts before the service modules are imported. Inside vitest, packages imported
 * with `import` are loaded by vitest's module runner, which the ESM hook of production
 * (telemetry/register.ts) does not see; http and redis are patched through `require` anyway,
 * and Express is required once here so that require-in-the-middle patches it (Express' and
 * the router's prototypes are shared with the later `import`). tracing-process.test.ts checks
 * the production start (`node --import register`) without this.
 */
const exporter = new InMemorySpanExporter();
const sdk = startTracingSdk(process.env, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
createRequire(import.meta.url)("express");
const { startTestService } = await import("../../test/support/service.js");
const { entryFields } = await import("../src/cache-entry.js");
const { buildBodyEntry } = await import("../src/resource-body.js");
const { resourceRef } = await import("../../lib/contract/resource-kinds.js");

type TestService = Awaited<ReturnType<typeof startTestService>>;
type Span = ReadableSpan;

let t: TestService;
beforeAll(async () => {
  t = await startTestService({});
});
afterAll(async () => {
  await t?.close();
  await sdk.shutdown();
});
beforeEach(() => {
  exporter.reset();
});

function parentId(span: Span): string | undefined {
  return span.parentSpanContext?.spanId;
}

function childrenOf(spans: Span[], parent: Span): Span[] {
  return spans.filter((span) => parentId(span) === parent.spanContext().spanId);
}

/** One request's trace: its SERVER span, its `resource.load` span and the load's children. */
async function traceOf(
  path: string,
  headers: Record<string, string> = {},
  settle: (spans: Span[]) => boolean = () => true,
) {
  const response = await fetch(`${t.url}${path}`, { headers });
  await response.arrayBuffer();
  const server = await waitFor(`the server span of ${path}`, async () =>
    exporter
      .getFinishedSpans()
      .find((span) => span.kind === SpanKind.SERVER && span.attributes["url.path"] === path.split("?")[0]),
  );
  const traceId = server.spanContext().traceId;
  const inTrace = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  await waitFor(`the spans of ${path} to settle`, async () => settle(inTrace()));
  const spans = inTrace();
  const load = spans.find((span) => span.name === "resource.load");
  return { response, server, load, spans, traceId };
}

describe("tracing a resource request", () => {
  it("miss: server span named by route > resource.load (miss) > Redis HMGET, file read, encode, cache fill", async () => {
    const { response, server, load, spans } = await traceOf(
      "/mcp/resources/patterns/core?language=python",
      {},
      // The cache fill (MULTI: DEL, HSET, EXPIRE) ends after the response.
      (s) => s.some((span) => span.attributes["db.query.text"]?.toString().startsWith("EXPIRE")),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cache")).toBe("MISS");

    expect(server.name).toBe("GET /mcp/resources/patterns/:name");
    expect(server.attributes["http.route"]).toBe("/mcp/resources/patterns/:name");
    expect(server.attributes["http.response.status_code"]).toBe(200);
    expect(parentId(server)).toBeUndefined();

    expect(load).toBeDefined();
    if (!load) return;
    expect(parentId(load)).toBe(server.spanContext().spanId);
    expect(load.attributes).toMatchObject({
      "resource.type": "patterns",
      "cache.result": "miss",
      "cache.key": "resource:patterns:python:core",
      "resource.uri": "sdlc://patterns/python/core",
    });
    expect(load.status.code).toBe(SpanStatusCode.UNSET);

    const children = childrenOf(spans, load);
    const names = children.map((span) => span.name);
    expect(names).toContain("redis-HMGET");
    expect(names).toContain("content.read");
    expect(names).toContain("resource.encode");
    const hmget = children.find((span) => span.name === "redis-HMGET");
    expect(hmget?.kind).toBe(SpanKind.CLIENT);
    expect(hmget?.attributes["db.query.text"]).toMatch(/^HMGET resource:patterns:python:core /);
    const read = children.find((span) => span.name === "content.read");
    expect(read?.attributes["file.path"]).toBe("patterns/python/core.md");
    expect(read?.attributes["file.size"]).toBeGreaterThan(0);
    // The cache fill's commands, also under the load that read the file.
    const fill = children.map((span) => String(span.attributes["db.query.text"] ?? ""));
    expect(fill.some((text) => text.startsWith("HSET resource:patterns:python:core"))).toBe(true);
    expect(fill.some((text) => text.startsWith("EXPIRE resource:patterns:python:core"))).toBe(true);
  });

  it("hit: resource.load (hit) with one Redis read (HMGET and PTTL) and no file read", async () => {
    // A key of its own, written by "another instance" (redis-cli): this service has never
    // seen it, so its first read is a Redis HMGET hit (which also puts it in the in-process
    // tier). redis-cli, not a node-redis client: this process's instrumentation would trace it.
    const path = "/mcp/resources/templates/release-notes";
    const fields = entryFields(
      await buildBodyEntry(resourceRef("templates", ["release-notes"]), "x", 10_240),
    );
    const key = "resource:templates:release-notes";
    const values = Object.entries(fields).flatMap(([field, value]) => [field, value.toString()]);
    execFileSync("redis-cli", ["-u", t.redis.url, "HSET", key, ...values]);
    execFileSync("redis-cli", ["-u", t.redis.url, "EXPIRE", key, "300"]);
    exporter.reset();

    const { response, server, load, spans } = await traceOf(path);
    expect(response.headers.get("x-cache")).toBe("HIT");
    expect(server.name).toBe("GET /mcp/resources/templates/:artifact_type");
    expect(load?.attributes).toMatchObject({
      "resource.type": "templates",
      "cache.result": "hit",
      "cache.key": "resource:templates:release-notes",
    });
    expect(load?.attributes["cache.tier"]).toBeUndefined();
    if (!load) return;
    const children = childrenOf(spans, load);
    // The entry and its TTL, in one round trip (a value without a TTL is not served).
    expect(children.map((span) => span.name).sort()).toEqual(["redis-HMGET", "redis-PTTL"]);
    // One span per layer: no Express/router middleware spans, one SERVER span.
    expect(spans.filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(1);
    expect(new Set(spans.map((span) => span.instrumentationScope.name))).toEqual(
      new Set([
        "@opentelemetry/instrumentation-http",
        "mcp-resource-service",
        "@opentelemetry/instrumentation-redis",
      ]),
    );

    // The next hit is answered by the in-process tier: no Redis span at all.
    exporter.reset();
    const local = await traceOf(path);
    expect(local.response.headers.get("x-cache")).toBe("HIT");
    expect(local.load?.attributes).toMatchObject({ "cache.result": "hit", "cache.tier": "local" });
    if (local.load) expect(childrenOf(local.spans, local.load)).toEqual([]);
  });

  it("a missing resource: 404, the load records the exception but is not an error", async () => {
    const { response, server, load, spans } = await traceOf("/mcp/resources/templates/no-such-template");
    expect(response.status).toBe(404);
    expect(server.name).toBe("GET /mcp/resources/templates/:artifact_type");
    expect(server.attributes["http.response.status_code"]).toBe(404);
    expect(load?.attributes["cache.result"]).toBe("miss");
    expect(load?.status.code).toBe(SpanStatusCode.UNSET);
    expect(load?.events.map((event) => event.name)).toContain("exception");
    const read = spans.find((span) => span.name === "content.read");
    expect(read?.events.map((event) => event.name)).toContain("exception");
  });

  it("honours a caller's W3C traceparent", async () => {
    const caller = newTraceparent();
    const { server, load, traceId } = await traceOf("/mcp/resources/sdlc/core", {
      traceparent: caller.header,
    });
    expect(traceId).toBe(caller.traceId);
    expect(parentId(server)).toBe(caller.parentSpanId);
    expect(server.name).toBe("GET /mcp/resources/sdlc/:name");
    expect(load?.spanContext().traceId).toBe(caller.traceId);
  });

  it("puts the trace and span ids on every log line of a traced request", async () => {
    const caller = newTraceparent();
    const before = t.logs.length;
    const { server } = await traceOf("/mcp/resources/patterns/testing?language=go", {
      traceparent: caller.header,
    });
    const lines = await waitFor("the request's access log line", async () => {
      const mine = t.logs.slice(before).filter((line) => line.trace_id === caller.traceId);
      return mine.some((line) => line.msg === "request completed") ? mine : undefined;
    });
    const access = lines.find((line) => line.msg === "request completed");
    expect(access?.span_id).toBe(server.spanContext().spanId);
    expect(access?.trace_flags).toBe("01");
    // Every line this request logged is correlated, none carries another trace's id.
    const untagged = t.logs
      .slice(before)
      .filter((line) => (line.req as { url?: string } | undefined)?.url?.includes("patterns/testing"));
    expect(untagged.every((line) => line.trace_id === caller.traceId)).toBe(true);
  });

  it("does not trace scrapes and probes", async () => {
    await (await fetch(`${t.url}/metrics`)).arrayBuffer();
    await (await fetch(`${t.url}/healthz`)).arrayBuffer();
    await (await fetch(`${t.url}/readyz`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER)).toEqual([]);
  });
});

describe("exemplars", () => {
  it("/metrics in OpenMetrics carries the trace id of an exported resource.load span", async () => {
    const { load, response: resourceResponse } = await traceOf(
      "/mcp/resources/patterns/observability?language=typescript",
    );
    expect(resourceResponse.status).toBe(200);
    expect(load).toBeDefined();
    const response = await fetch(`${t.url}/metrics`, { headers: { Accept: OPENMETRICS_ACCEPT } });
    expect(response.headers.get("content-type")).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    const text = await response.text();
    expect(text.endsWith("# EOF\n")).toBe(true);
    const exemplars = parseExemplars(text).filter(
      (e) => e.sample === "mcp_resource_loading_latency_seconds_bucket",
    );
    const match = exemplars.find((e) => e.exemplarLabels.trace_id === load?.spanContext().traceId);
    expect(match, `no exemplar with trace ${load?.spanContext().traceId}`).toBeDefined();
    expect(match?.exemplarLabels.span_id).toBe(load?.spanContext().spanId);
    expect(match?.labels).toMatchObject({ resource_type: "patterns", cache_result: "miss" });
    expect(Number(match?.labels.le)).toBeGreaterThanOrEqual(match?.value ?? Number.NaN);
    // OpenMetrics counter families: `x` in TYPE, `x_total` samples.
    expect(text).toContain("# TYPE mcp_resource_cache_hits counter");
    expect(text).toMatch(/^mcp_resource_cache_hits_total\{resource_type="patterns"\} \d+/m);
    expect(text).not.toContain("_total_total");
  });

  it("the classic text format stays the default, without exemplars, after an OpenMetrics scrape", async () => {
    await (await fetch(`${t.url}/metrics`, { headers: { Accept: OPENMETRICS_ACCEPT } })).text();
    for (const accept of [undefined, "*/*", "text/plain;version=0.0.4"]) {
      const response = await fetch(`${t.url}/metrics`, { headers: accept ? { Accept: accept } : {} });
      expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await response.text();
      expect(text).not.toContain("# {");
      expect(text).not.toContain("# EOF");
      const exposition = parseExposition(text);
      expect(exposition.types.get("mcp_resource_cache_hits_total")).toBe("counter");
      expect(exposition.types.get("mcp_resource_loading_latency_seconds")).toBe("histogram");
    }
  });
});

describe("Redis down", () => {
  it("serves from disk: resource.load (miss, cache.error=unavailable) > file read, no Redis span", async () => {
    await t.redis.stop();
    await waitFor("the service to see Redis down", async () => {
      const readiness = (await (await fetch(`${t.url}/readyz`)).json()) as { checks: { cache: string } };
      return readiness.checks.cache === "degraded";
    });
    exporter.reset();
    const { response, server, load, spans } = await traceOf("/mcp/resources/templates/adr");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cache")).toBe("MISS");
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(load?.attributes).toMatchObject({
      "resource.type": "templates",
      "cache.result": "miss",
      "cache.key": "resource:templates:adr",
      "cache.error": "unavailable",
    });
    if (!load) return;
    expect(childrenOf(spans, load).map((span) => span.name)).toEqual(
      expect.arrayContaining(["content.read", "resource.encode"]),
    );
    expect(spans.filter((span) => span.name.startsWith("redis-"))).toEqual([]);
  });
});
