import type { IncomingMessage } from "node:http";
import { getNodeAutoInstrumentations } from "@opentelemetry/auto-instrumentations-node";
import { ExpressLayerType } from "@opentelemetry/instrumentation-express";
import { NodeSDK, type NodeSDKConfiguration } from "@opentelemetry/sdk-node";
import { DEFAULT_SERVICE_NAME, serviceNameGiven } from "./config.js";

/** Requests that are not traced: scrapes and probes would bury the traffic in Jaeger. */
const UNTRACED_PATHS = new Set(["/metrics", "/healthz", "/readyz"]);

function isUntraced(request: IncomingMessage): boolean {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  return UNTRACED_PATHS.has(query === -1 ? url : url.slice(0, query));
}

/**
 * The instrumentations the service uses, from auto-instrumentations-node, with the noise
 * turned off:
 *
 * - http: the SERVER span, renamed to `GET /route/:template` once Express matched a route;
 *   /metrics, /healthz and /readyz are not traced; the service makes no outgoing HTTP calls.
 * - express: no layer spans at all (every middleware would be a span), but it still tells the
 *   http span its route. Express 5 routes through the `router` package, whose own
 *   instrumentation would add a second span per layer: it is off.
 * - redis (node-redis v4/v5 through @redis/client): one span per command, only inside a
 *   traced request (connect/reconnect chatter is not a trace of its own).
 * - fs, dns, net: off (every file stat and socket would be a span); the service's own
 *   `content.read` span covers the file read that matters.
 * - pino: off; the service's logger adds trace_id/span_id itself (service/src/logger.ts),
 *   which also works where modules are not patched.
 *
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS still apply to the
 * instrumentations not configured here.
 */
export function serviceInstrumentations(): ReturnType<typeof getNodeAutoInstrumentations> {
  return getNodeAutoInstrumentations({
    "@opentelemetry/instrumentation-http": {
      ignoreIncomingRequestHook: isUntraced,
      disableOutgoingRequestInstrumentation: true,
    },
    "@opentelemetry/instrumentation-express": {
      ignoreLayersType: [
        ExpressLayerType.MIDDLEWARE,
        ExpressLayerType.ROUTER,
        ExpressLayerType.REQUEST_HANDLER,
      ],
    },
    "@opentelemetry/instrumentation-router": { enabled: false },
    "@opentelemetry/instrumentation-redis": { requireParentSpan: true },
    "@opentelemetry/instrumentation-fs": { enabled: false },
    "@opentelemetry/instrumentation-dns": { enabled: false },
    "@opentelemetry/instrumentation-net": { enabled: false },
    "@opentelemetry/instrumentation-pino": { enabled: false },
    "@opentelemetry/instrumentation-undici": { enabled: false },
    "@opentelemetry/instrumentation-runtime-node": { enabled: false },
  });
}

/**
 * Builds and starts the NodeSDK from the standard OTEL_* variables: OTEL_SERVICE_NAME,
 * OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL (http/protobuf by default, grpc, http/json),
 * OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER / _ARG, OTEL_BSP_*, OTEL_PROPAGATORS (W3C
 * tracecontext + baggage by default).
 *
 * Only traces are exported: this stack scrapes metrics with Prometheus and keeps logs on
 * stdout, so OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER default to `none` here (the SDK's
 * own default is otlp) unless they are set.
 */
export function startTracingSdk(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<NodeSDKConfiguration> = {},
): NodeSDK {
  env.OTEL_METRICS_EXPORTER ??= "none";
  env.OTEL_LOGS_EXPORTER ??= "none";
  const sdk = new NodeSDK({
    instrumentations: serviceInstrumentations(),
    ...(serviceNameGiven(env) ? {} : { serviceName: DEFAULT_SERVICE_NAME }),
    // Tests pass span processors with an in-memory exporter here.
    ...overrides,
  });
  sdk.start();
  return sdk;
}
