/**
 * Loaded with `node --import` before the service (see `npm start`), so the SDK and its module
 * hooks are in place before Express, http and redis are imported:
 *
 *   node --import ./dist/service/src/telemetry/register.js dist/service/src/main.js
 *
 * With no OTLP endpoint and no OTEL_TRACES_EXPORTER in the environment this module does
 * nothing else: the SDK is not even imported.
 */
import { register } from "node:module";
import { tracingRequested } from "./config.js";
import { TRACING_SHUTDOWN } from "./shutdown.js";

if (tracingRequested()) {
  // ESM: without the import-in-the-middle hook, modules imported with `import` (Express
  // among them) are never patched and the server span has no route.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  const { startTracingSdk } = await import("./sdk.js");
  const sdk = startTracingSdk();
  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= sdk.shutdown().catch((error: unknown) => {
      process.stderr.write(`mcp-resource-service: tracing shutdown failed: ${String(error)}\n`);
    });
    return stopped;
  };
  (globalThis as Record<symbol, unknown>)[TRACING_SHUTDOWN] = shutdown;
  // Best effort for a process stopped by a signal: export what has ended so far right away,
  // while the service drains. A caller that awaits shutdownTracing() before exiting also
  // gets the spans of the requests that finish during the drain.
  const flushOnSignal = () => {
    // An export failure here must not become an unhandled rejection during shutdown.
    flushTracing().catch(() => {});
  };
  process.once("SIGTERM", flushOnSignal);
  process.once("SIGINT", flushOnSignal);
}

async function flushTracing(): Promise<void> {
  const { trace } = await import("@opentelemetry/api");
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.();
}
