/** Where register.ts leaves the SDK's shutdown, so the app can flush without importing the SDK. */
export const TRACING_SHUTDOWN = Symbol.for("mcp-resource-service.tracing.shutdown");

/**
 * Flushes and stops tracing when register.ts started it; resolves at once otherwise. Await it
 * after the server has drained and before process.exit(), or the last spans are lost.
 */
export async function shutdownTracing(): Promise<void> {
  const shutdown = (globalThis as Record<symbol, unknown>)[TRACING_SHUTDOWN];
  if (typeof shutdown === "function") await (shutdown as () => Promise<void>)();
}
