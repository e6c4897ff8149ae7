import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import {
  newTraceparent,
  OPENMETRICS_ACCEPT,
  parseExemplars,
  REPO_ROOT,
  type ServiceProcess,
  startServiceProcess,
  waitFor,
} from "./tracing-helpers.js";

/**
 * Whole stack, natively: the Jaeger v2 binary built by scripts/install/jaeger.sh, run with
 * infra/jaeger/config.yaml on free ports; the service started as in production, exporting
 * OTLP/HTTP protobuf (the SDK's default) to it; the request's trace found through Jaeger's
 * query API, and so is the trace an exemplar on /metrics points to.
 */
const JAEGER_BIN = process.env.JAEGER_BIN ?? path.join(REPO_ROOT, ".tools/bin/jaeger");

function installed(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const haveJaeger = installed(JAEGER_BIN);
// CI installs Jaeger (scripts/install/deps.sh); there a missing binary is a failure, not a skip.
if (!haveJaeger && process.env.CI === "true") {
  throw new Error(`no Jaeger binary at ${JAEGER_BIN}; scripts/install/deps.sh should have built it`);
}
if (!haveJaeger) {
  console.warn(
    `tracing-jaeger: SKIPPED: no Jaeger binary at ${JAEGER_BIN}; run \`bash scripts/install/jaeger.sh\` (or set JAEGER_BIN)`,
  );
}

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}

interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

describe.skipIf(!haveJaeger)("a request's trace in Jaeger (native binary)", () => {
  let jaeger: ChildProcess | undefined;
  let jaegerLog = "";
  let queryUrl = "";
  let redis: RedisProcess;
  let service: ServiceProcess;

  beforeAll(async () => {
    const ports = {
      JAEGER_OTLP_GRPC_PORT: await getFreePort(),
      JAEGER_OTLP_HTTP_PORT: await getFreePort(),
      JAEGER_QUERY_HTTP_PORT: await getFreePort(),
      JAEGER_QUERY_GRPC_PORT: await getFreePort(),
      JAEGER_HEALTH_PORT: await getFreePort(),
      JAEGER_METRICS_PORT: await getFreePort(),
    };
    const running = spawn(JAEGER_BIN, ["--config", path.join(REPO_ROOT, "infra/jaeger/config.yaml")], {
      env: {
        PATH: process.env.PATH ?? "",
        JAEGER_LISTEN_HOST: "127.0.0.1",
        ...Object.fromEntries(Object.entries(ports).map(([key, port]) => [key, String(port)])),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    jaeger = running;
    running.stdout?.on("data", (chunk: Buffer) => {
      jaegerLog += chunk.toString();
    });
    running.stderr?.on("data", (chunk: Buffer) => {
      jaegerLog += chunk.toString();
    });
    queryUrl = `http://127.0.0.1:${ports.JAEGER_QUERY_HTTP_PORT}`;
    try {
      await waitFor(
        "Jaeger's health check",
        async () => {
          if (running.exitCode !== null) throw new Error(`jaeger exited with ${running.exitCode}`);
          return (await fetch(`http://127.0.0.1:${ports.JAEGER_HEALTH_PORT}/status`)).ok;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (error) {
      throw new Error(`${String(error)}\njaeger output:\n${jaegerLog.slice(-4000)}`);
    }
    redis = await startRedis();
    service = await startServiceProcess({
      REDIS_URL: redis.url,
      OTEL_SERVICE_NAME: "mcp-resource-service",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.JAEGER_OTLP_HTTP_PORT}`,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await redis?.stop();
    if (jaeger && jaeger.exitCode === null) {
      const exited = new Promise((resolve) => jaeger?.once("exit", resolve));
      jaeger.kill("SIGTERM");
      await exited;
    }
  });

  async function findTrace(traceId: string, operations: string[]): Promise<JaegerTrace> {
    return await waitFor(
      `trace ${traceId} in Jaeger's query API`,
      async () => {
        const response = await fetch(
          `${queryUrl}/api/traces?service=mcp-resource-service&lookback=1h&limit=50`,
        );
        if (!response.ok) return undefined;
        const body = (await response.json()) as { data: JaegerTrace[] | null };
        const trace = body.data?.find((candidate) => candidate.traceID === traceId);
        if (!trace) return undefined;
        const names = trace.spans.map((span) => span.operationName);
        return operations.every((operation) => names.includes(operation)) ? trace : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }

  it("finds the request's trace by service, with the route, the load and the Redis call", async () => {
    const caller = newTraceparent();
    const response = await fetch(`${service.url}/mcp/resources/patterns/security?language=python`, {
      headers: { traceparent: caller.header },
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);

    const trace = await findTrace(caller.traceId, [
      "GET /mcp/resources/patterns/:name",
      "resource.load",
      "redis-HMGET",
      "content.read",
    ]);
    const byName = (name: string) => trace.spans.find((span) => span.operationName === name);
    const server = byName("GET /mcp/resources/patterns/:name");
    const load = byName("resource.load");
    expect(server?.references).toEqual([expect.objectContaining({ spanID: caller.parentSpanId })]);
    expect(load?.references[0]?.spanID).toBe(server?.spanID);
    expect(byName("redis-HMGET")?.references[0]?.spanID).toBe(load?.spanID);
    const tags = Object.fromEntries((load?.tags ?? []).map((tag) => [tag.key, tag.value]));
    expect(tags).toMatchObject({
      "resource.type": "patterns",
      "cache.result": "miss",
      "cache.key": "resource:patterns:python:security",
    });
    expect(trace.processes[server?.processID ?? ""]?.serviceName).toBe("mcp-resource-service");
  });

  it("resolves the trace id of a /metrics exemplar in Jaeger", async () => {
    const hit = await fetch(`${service.url}/mcp/resources/sdlc/core`);
    await hit.arrayBuffer();
    const text = await (
      await fetch(`${service.url}/metrics`, { headers: { Accept: OPENMETRICS_ACCEPT } })
    ).text();
    const exemplar = parseExemplars(text).find(
      (e) => e.sample === "mcp_resource_loading_latency_seconds_bucket" && e.labels.resource_type === "sdlc",
    );
    expect(exemplar).toBeDefined();
    const traceId = exemplar?.exemplarLabels.trace_id ?? "";
    const trace = await waitFor(
      `exemplar trace ${traceId} at /api/traces/{id}`,
      async () => {
        const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
        if (!response.ok) return undefined;
        const body = (await response.json()) as { data: JaegerTrace[] | null };
        // A trace can arrive in more than one export batch: wait for the exemplar's span.
        const found = body.data?.[0];
        return found?.spans.some((span) => span.spanID === exemplar?.exemplarLabels.span_id)
          ? found
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const load = trace.spans.find((span) => span.spanID === exemplar?.exemplarLabels.span_id);
    expect(load?.operationName).toBe("resource.load");
  });
});
