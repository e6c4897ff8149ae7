import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinary } from "../../lib/harness/binaries.js";
import { getFreePort } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import {
  newTraceparent,
  type OtlpReceiver,
  type ServiceProcess,
  startOtlpReceiver,
  startServiceProcess,
  waitFor,
} from "./tracing-helpers.js";

/**
 * Prometheus keeps the exemplars: a real Prometheus with exemplar storage scrapes the traced
 * service (its default Accept asks for OpenMetrics, so this is also the check that the
 * negotiated OpenMetrics output passes Prometheus' strict parser: a format error would take
 * the whole target down), and its query_exemplars API returns the trace id of a request.
 */
const PROMETHEUS = findBinary(["prometheus"]);

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

describe("Prometheus exemplar storage", () => {
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = "";
  let output = "";
  let dir = "";
  let redis: RedisProcess;
  let receiver: OtlpReceiver;
  let service: ServiceProcess;

  beforeAll(async () => {
    [redis, receiver] = await Promise.all([startRedis(), startOtlpReceiver()]);
    service = await startServiceProcess({
      REDIS_URL: redis.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    });
    dir = await mkdtemp(path.join(tmpdir(), "tracing-prometheus-"));
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 900ms",
      "scrape_configs:",
      "  - job_name: mcp-resource-service",
      "    static_configs:",
      `      - targets: ["${new URL(service.url).host}"]`,
      "",
    ].join("\n");
    await writeFile(path.join(dir, "prometheus.yml"), config);
    const port = await getFreePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const running = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--enable-feature=exemplar-storage",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus = running;
    running.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    running.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitFor(
        "Prometheus to be ready",
        async () => {
          if (running.exitCode !== null) throw new Error(`prometheus exited with ${running.exitCode}`);
          return (await fetch(`${prometheusUrl}/-/ready`)).ok;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    } catch (error) {
      throw new Error(`${String(error)}\nprometheus output:\n${output.slice(-4000)}`);
    }
  }, 120_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
      prometheus.kill("SIGTERM");
      await exited;
    }
    await service?.stop();
    await Promise.all([redis?.stop(), receiver?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("scrapes OpenMetrics from the service and stores the request's trace id as an exemplar", async () => {
    const caller = newTraceparent();
    const response = await fetch(`${service.url}/mcp/resources/templates/test-plan`, {
      headers: { traceparent: caller.header },
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);

    const stored = await waitFor(
      "the exemplar in Prometheus",
      async () => {
        const now = Date.now() / 1000;
        const query = new URLSearchParams({
          query: 'mcp_resource_loading_latency_seconds_bucket{resource_type="templates"}',
          start: String(now - 300),
          end: String(now + 60),
        });
        const body = (await (await fetch(`${prometheusUrl}/api/v1/query_exemplars?${query}`)).json()) as {
          data?: ExemplarSeries[];
        };
        return body.data?.find((series) =>
          series.exemplars.some((exemplar) => exemplar.labels.trace_id === caller.traceId),
        );
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(stored.seriesLabels).toMatchObject({ job: "mcp-resource-service", cache_result: "miss" });

    // The scrape was healthy, in OpenMetrics, and the contract's counters kept their names.
    const up = (await (await fetch(`${prometheusUrl}/api/v1/query?query=up`)).json()) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    expect(up.data.result[0]?.value[1]).toBe("1");
    const hits = (await (
      await fetch(
        `${prometheusUrl}/api/v1/query?query=mcp_resource_cache_misses_total{resource_type="templates"}`,
      )
    ).json()) as { data: { result: Array<{ value: [number, string] }> } };
    expect(Number(hits.data.result[0]?.value[1])).toBeGreaterThanOrEqual(1);
    const targets = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: Array<{ health: string; lastError: string }> };
    };
    expect(targets.data.activeTargets[0]).toMatchObject({ health: "up", lastError: "" });
  });
});
