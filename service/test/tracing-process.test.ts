import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import {
  type ExportedSpan,
  newTraceparent,
  OPENMETRICS_ACCEPT,
  type OtlpReceiver,
  parseExemplars,
  type ServiceProcess,
  startOtlpReceiver,
  startServiceProcess,
  waitFor,
} from "./tracing-helpers.js";

/**
 * The production start: `node --import telemetry/register main`, configured only by OTEL_*
 * variables, exporting OTLP/HTTP (JSON encoding) to a real receiver in this test. This is the
 * path where the ESM hook has to do its work: without it the server span has no route.
 */

let redis: RedisProcess;
let receiver: OtlpReceiver;
let traced: ServiceProcess;

beforeAll(async () => {
  [redis, receiver] = await Promise.all([startRedis(), startOtlpReceiver()]);
  traced = await startServiceProcess({
    REDIS_URL: redis.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_BSP_SCHEDULE_DELAY: "50",
  });
}, 90_000);
afterAll(async () => {
  await traced?.stop();
  await Promise.all([receiver?.close(), redis?.stop()]);
});

async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response;
}

async function exportedTrace(traceId: string, until: (spans: ExportedSpan[]) => boolean) {
  return await waitFor(`trace ${traceId} at the OTLP receiver`, async () => {
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    return until(spans) ? spans : undefined;
  });
}

describe("the service started with --import telemetry/register and an OTLP endpoint", () => {
  it("exports the request's span tree: route-named SERVER span > resource.load > Redis, file read", async () => {
    const caller = newTraceparent();
    const response = await get(`${traced.url}/mcp/resources/patterns/errors?language=go`, {
      traceparent: caller.header,
    });
    expect(response.status).toBe(200);
    const spans = await exportedTrace(caller.traceId, (s) =>
      ["GET /mcp/resources/patterns/:name", "resource.load", "redis-HMGET", "content.read"].every((name) =>
        s.some((span) => span.name === name),
      ),
    );
    const server = spans.find((span) => span.kind === 2);
    expect(server?.name).toBe("GET /mcp/resources/patterns/:name");
    expect(server?.parentSpanId).toBe(caller.parentSpanId);
    expect(server?.serviceName).toBe("mcp-resource-service");
    const load = spans.find((span) => span.name === "resource.load");
    expect(load?.parentSpanId).toBe(server?.spanId);
    expect(load?.attributes).toMatchObject({
      "resource.type": "patterns",
      "cache.result": "miss",
      "cache.key": "resource:patterns:go:errors",
    });
    for (const name of ["redis-HMGET", "content.read", "resource.encode"]) {
      expect(spans.find((span) => span.name === name)?.parentSpanId, name).toBe(load?.spanId);
    }
    // Express 5 layer spans (express or router instrumentation) would double the tree.
    expect(spans.filter((span) => span.kind === 2)).toHaveLength(1);
    expect(spans.some((span) => /middleware|router|request handler/i.test(span.name))).toBe(false);
  });

  it("writes trace_id and span_id on the request's log lines (stdout JSON)", async () => {
    const caller = newTraceparent();
    await get(`${traced.url}/mcp/resources/templates/runbook`, { traceparent: caller.header });
    const spans = await exportedTrace(caller.traceId, (s) => s.some((span) => span.kind === 2));
    const server = spans.find((span) => span.kind === 2);
    const line = await waitFor("the access log line", async () =>
      traced.logs.find((entry) => entry.trace_id === caller.traceId && entry.msg === "request completed"),
    );
    expect(line.span_id).toBe(server?.spanId);
  });

  it("serves an OpenMetrics exemplar whose trace id is an exported span's", async () => {
    const caller = newTraceparent();
    await get(`${traced.url}/mcp/resources/templates/hls`, { traceparent: caller.header });
    const response = await fetch(`${traced.url}/metrics`, { headers: { Accept: OPENMETRICS_ACCEPT } });
    const exemplars = parseExemplars(await response.text()).filter(
      (e) => e.sample === "mcp_resource_loading_latency_seconds_bucket",
    );
    const exemplar = exemplars.find((e) => e.exemplarLabels.trace_id === caller.traceId);
    expect(exemplar?.labels).toMatchObject({ resource_type: "templates", cache_result: "miss" });
    const spans = await exportedTrace(caller.traceId, (s) => s.some((span) => span.name === "resource.load"));
    expect(spans.find((span) => span.name === "resource.load")?.spanId).toBe(
      exemplar?.exemplarLabels.span_id,
    );
  });

  it("does not export /metrics, /healthz or /readyz requests", async () => {
    const before = receiver.spans.length;
    await get(`${traced.url}/healthz`);
    await get(`${traced.url}/metrics`);
    // A traced request after them: once it is exported, anything before it would be too.
    const caller = newTraceparent();
    await get(`${traced.url}/mcp/resources/sdlc/core`, { traceparent: caller.header });
    await exportedTrace(caller.traceId, (s) => s.some((span) => span.kind === 2));
    const servers = receiver.spans.slice(before).filter((span) => span.kind === 2);
    expect(servers.map((span) => span.name)).toEqual(["GET /mcp/resources/sdlc/:name"]);
  });
});

describe("the service with register loaded but no OTLP endpoint", () => {
  it("does not trace: no export, no trace ids in logs, no exemplars", async () => {
    const untraced = await startServiceProcess({ REDIS_URL: redis.url, LOG_LEVEL: "debug" });
    try {
      const caller = newTraceparent();
      const requestsBefore = receiver.requests;
      const response = await get(`${untraced.url}/mcp/resources/templates/prd`, {
        traceparent: caller.header,
      });
      expect(response.status).toBe(200);
      const line = await waitFor("the access log line", async () =>
        untraced.logs.find((entry) => entry.msg === "request completed"),
      );
      expect(line.trace_id).toBeUndefined();
      const metrics = await (
        await fetch(`${untraced.url}/metrics`, { headers: { Accept: OPENMETRICS_ACCEPT } })
      ).text();
      expect(parseExemplars(metrics)).toEqual([]);
      expect(receiver.requests).toBe(requestsBefore);
    } finally {
      await untraced.stop();
    }
  }, 60_000);
});
