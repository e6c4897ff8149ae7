import { createServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, Server as NetServer } from "node:net";
import type { Logger } from "pino";
import { type Config, ConfigError } from "./config.js";
import { createCatalogSource } from "./content-catalog.js";
import { openContentStore } from "./content-store.js";
import { FaultInjector } from "./faults.js";
import { createRequestListener } from "./http/app.js";
import { ConnectionDrain } from "./http/drain.js";
import { InflightLimit } from "./http/inflight-limit.js";
import { createMcpRouter } from "./mcp/router.js";
import { createMetrics, type ServiceMetrics } from "./metrics.js";
import { rateLimited } from "./rate-limited.js";
import { redactRedisUrl } from "./redis-client.js";
import { createResourceCache, type ResourceCache } from "./resource-cache.js";
import { createResourceLoader } from "./resource-loader.js";

export interface RunningService {
  readonly server: HttpServer;
  readonly port: number;
  /** e.g. http://127.0.0.1:8000 */
  readonly url: string;
  readonly metrics: ServiceMetrics;
  /**
   * Graceful stop: refuse new work, finish in-flight requests, close Redis. Resolves with the
   * number of connections that were still busy at SHUTDOWN_TIMEOUT_MS and had to be cut.
   */
  close(): Promise<{ cutConnections: number }>;
}

/**
 * While draining, a connection idle this long is closed; one that had a request more recently
 * is left for its next request, which is answered with Connection: close.
 */
const DRAIN_IDLE_MS = 200;

/** Wires config into the cache, the content store, the loader and the HTTP app, and listens. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  let accepting = true;
  const drain = new ConnectionDrain();
  let cacheRef: Pick<ResourceCache, "isReady" | "localTier"> | undefined;
  const metrics = createMetrics(
    () => cacheRef?.isReady() ?? false,
    config.localCacheMaxBytes > 0 ? () => cacheRef?.localTier() : undefined,
  );
  // Drills only: with FAULTS_ENABLED unset nothing below is wired in at all.
  const faults = config.faultsEnabled ? new FaultInjector(config.faultsToken) : undefined;
  if (faults) logger.warn("fault injection is ENABLED (FAULTS_ENABLED=true); never run this in production");
  const store = await openContentStore(config.contentDir, logger, faults?.fileReadDelay).catch(
    (error: unknown) => {
      // A well-formed CONTENT_DIR that is missing or not a directory is still a bad setting.
      throw new ConfigError([
        `CONTENT_DIR=${JSON.stringify(config.contentDir)}: ${error instanceof Error ? error.message : String(error)}`,
      ]);
    },
  );
  const cache = createResourceCache({
    url: config.redisUrl,
    ttlSeconds: config.cacheTtlSeconds,
    timeoutMs: config.cacheTimeoutMs,
    healthIntervalMs: config.cacheHealthIntervalMs,
    maxEntryBytes: config.cacheMaxEntryBytes,
    localMaxBytes: config.localCacheMaxBytes,
    metrics,
    logger,
    ...(faults ? { delayMs: faults.cacheDelayMs } : {}),
  });
  cacheRef = cache;
  const loader = createResourceLoader({
    cache,
    store,
    metrics,
    logger,
    compressionMinBytes: config.compressionMinBytes,
  });
  // What the content directory offers: MCP lists and completes from it, readiness checks it.
  const catalog = createCatalogSource(store, logger);
  const serviceInflight = new InflightLimit("service", config.maxInflightRequests);
  const listener = createRequestListener({
    logger,
    metrics,
    loader,
    store,
    cache,
    defaultLanguage: config.defaultLanguage,
    isAccepting: () => accepting,
    drain,
    catalog,
    inflight: serviceInflight,
    // POST /mcp: the same resources over MCP, through the same loader (keys, metrics).
    extraRouters: [
      createMcpRouter({
        loader,
        catalog,
        logger,
        metrics,
        allowedHosts: config.mcpAllowedHosts,
        limits: config.mcp,
        // An MCP request counts against the service's bound and against MCP's own.
        inflight: [serviceInflight, new InflightLimit("mcp", config.mcpMaxInflight)],
      }),
    ],
    ...(faults ? { faultRouters: [faults.controlRouter()], faultMiddleware: faults.requestFaults() } : {}),
  });

  const { http } = config;
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      // Node enforces the two timeouts above on this tick (30 s by default, which would let a
      // slow client hold a connection up to 30 s past them).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(http.headersTimeoutMs / 2))),
    },
    listener,
  );
  server.maxConnections = http.maxConnections;
  drain.attach(server);
  const warnDropped = rateLimited(10_000, (suppressed) =>
    logger.warn(
      { maxConnections: http.maxConnections, droppedSinceLastWarning: suppressed + 1 },
      "connection cap reached: dropping new connections (HTTP_MAX_CONNECTIONS)",
    ),
  );
  server.on("drop", () => {
    metrics.connectionsDropped.inc();
    warnDropped();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info({ url, contentDir: store.root, redis: redactRedisUrl(config.redisUrl) }, "service listening");

  let closing: Promise<{ cutConnections: number }> | undefined;
  const close = () => {
    closing ??= (async () => {
      accepting = false;
      drain.begin();
      // Stop listening with net.Server's close: http.Server's would also destroy every
      // connection idle at this instant, resetting a keep-alive client's next request.
      const drained = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const reaper = setInterval(() => setImmediate(() => drain.closeIdle(DRAIN_IDLE_MS)), 50);
      let cutConnections = 0;
      const timer = setTimeout(() => {
        cutConnections = drain.busyConnections;
        logger.error(
          { timeoutMs: config.shutdownTimeoutMs, cutConnections },
          "shutdown timeout: cut the connections still busy (SHUTDOWN_TIMEOUT_MS)",
        );
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      await drained;
      clearTimeout(timer);
      clearInterval(reaper);
      // Nothing is open any more; http.Server's close now only stops its timeout checker.
      server.close(() => {});
      await cache.close();
      logger.info({ cutConnections }, "service stopped");
      return { cutConnections };
    })();
    return closing;
  };

  return { server, port, url, metrics, close };
}
