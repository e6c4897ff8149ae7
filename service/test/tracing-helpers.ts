import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";

/** Helpers of the tracing tests: a real OTLP/HTTP JSON receiver, the service as a process, exemplars. */

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export type AttributeValue = string | number | boolean;

/** One span as an OTLP exporter sent it, flattened. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Record<string, AttributeValue>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly events: string[];
  readonly scope: string;
  readonly serviceName: string | undefined;
}

interface OtlpKeyValue {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
  };
}

interface OtlpTraceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: OtlpKeyValue[];
        status?: { code?: number };
        events?: Array<{ name: string }>;
      }>;
    }>;
  }>;
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

/** Flattens an OTLP/JSON ExportTraceServiceRequest (ids are hex strings in OTLP/JSON). */
export function flattenOtlp(request: OtlpTraceRequest): ExportedSpan[] {
  const spans: ExportedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? "",
          name: span.name,
          kind: span.kind ?? 0,
          attributes: attributes(span.attributes),
          statusCode: span.status?.code ?? 0,
          events: (span.events ?? []).map((event) => event.name),
          scope: scopeSpans.scope?.name ?? "",
          serviceName: typeof resource["service.name"] === "string" ? resource["service.name"] : undefined,
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT: the exporter appends /v1/traces. */
  readonly endpoint: string;
  readonly spans: ExportedSpan[];
  /** How many export requests arrived (any signal). */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * A real OTLP/HTTP receiver for the JSON encoding (OTEL_EXPORTER_OTLP_PROTOCOL=http/json):
 * what a collector does on POST /v1/traces, minus the storage.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ExportedSpan[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests++;
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      if (req.method === "POST" && req.url === "/v1/traces") {
        try {
          spans.push(...flattenOtlp(JSON.parse(body.toString("utf8")) as OtlpTraceRequest));
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every JSON line the process wrote on stdout, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** SIGTERM, then wait for the exit (the service flushes on the way out). */
  stop(): Promise<number | null>;
}

/**
 * The service as production starts it (`node --import <telemetry/register> <main>`), from the
 * TypeScript sources through tsx, on a free loopback port. `env` is added to this process's
 * environment minus any OTEL_* variables, so only what a test passes configures tracing.
 */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await getFreePort();
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", "./service/src/telemetry/register.ts", "service/src/main.ts"],
    {
      cwd: REPO_ROOT,
      env: { ...base, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "debug", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let stdoutRest = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (stdoutRest + chunk).split("\n");
    stdoutRest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr += `[stdout] ${line}\n`;
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      "the service process to answer /readyz with Redis up",
      async () => {
        if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}: ${stderr}`);
        const readiness = (await (await fetch(`${url}/readyz`)).json()) as { checks?: { cache?: string } };
        return readiness.checks?.cache === "ok";
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${String(error)}\nstderr:\n${stderr}`);
  }
  return {
    url,
    child,
    logs,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return await exited;
    },
  };
}

export interface Exemplar {
  readonly sample: string;
  readonly labels: Record<string, string>;
  readonly exemplarLabels: Record<string, string>;
  readonly value: number;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelSet(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(LABEL)) out[key as string] = value as string;
  return out;
}

/** The exemplars of an OpenMetrics exposition: `name{labels} value # {exemplar labels} value [ts]`. */
export function parseExemplars(text: string): Exemplar[] {
  const exemplars: Exemplar[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*?)\})? \S+ # \{(.*)\} (\S+)(?: \S+)?$/.exec(line);
    if (!match) continue;
    exemplars.push({
      sample: match[1] as string,
      labels: labelSet(match[2] ?? ""),
      exemplarLabels: labelSet(match[3] ?? ""),
      value: Number(match[4]),
    });
  }
  return exemplars;
}

export const OPENMETRICS_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/** A W3C traceparent with random ids, as an upstream caller (k6, a gateway) would send. */
export function newTraceparent(): { header: string; traceId: string; parentSpanId: string } {
  const hex = (bytes: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join(
      "",
    );
  const traceId = hex(16);
  const parentSpanId = hex(8);
  return { header: `00-${traceId}-${parentSpanId}-01`, traceId, parentSpanId };
}

export { waitFor };
