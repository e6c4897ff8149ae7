import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startService } from "./service.js";
import { shutdownTracing } from "./telemetry/shutdown.js";

/** Exit code of a shutdown that had to cut requests still in flight at SHUTDOWN_TIMEOUT_MS. */
const EXIT_REQUESTS_CUT = 3;

/** Process entry point: config from the environment, signals to a graceful stop. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    // A hard ceiling in case something refuses to close: never hang an orchestrator.
    setTimeout(() => {
      logger.error("forced exit after shutdown timeout");
      process.exit(1);
    }, config.shutdownTimeoutMs + 2_000).unref();
    service
      .close()
      // Flush the spans of the requests that finished during the drain before exiting.
      .then(async ({ cutConnections }) => {
        await shutdownTracing();
        return cutConnections;
      })
      .then(
        // A stop that had to cut requests is not a clean one; say so to whoever restarts us.
        (cutConnections) => process.exit(cutConnections > 0 ? EXIT_REQUESTS_CUT : 0),
        (error: unknown) => {
          logger.error({ err: error }, "error during shutdown");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  // A setting that is invalid, or that only turns out to be when used (CONTENT_DIR), is exit 2.
  if (error instanceof ConfigError) {
    process.stderr.write(`mcp-resource-service: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `mcp-resource-service: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
