/**
 * The k6 test, built for one of the runbook's profiles from the shared workload definition
 * (lib/workload/ and ../src/workload/). The entry scripts beside this file (script.ts: PROFILE from the
 * environment; full.ts, quick.ts, stress.ts, warmup.ts: fixed) only pick the profile and
 * re-export what k6 looks for. Runs as TypeScript natively on k6 >= v0.57 (compose pins
 * grafana/k6 in .env).
 *
 * Environment:
 *   BASE_URL               service origin (default http://127.0.0.1:8000). Loopback only,
 *                          plus the compose service name mcp-resource-service and any host
 *                          named in ALLOWED_TARGET_HOSTS (comma separated)
 *   PROFILE                script.ts only: full | quick | stress | warmup (default quick)
 *   DURATION               override the profile's duration (30s, 1m, 90)
 *   USERS, SPAWN_RATE      override the profile's users and ramp (custom load)
 *   THRESHOLDS             overrides, e.g. "p95=80,sdlc.p99=40,rps=off"
 *   GATE                   all (default): every threshold fails the run; ci: only the
 *                          runbook's Quick Performance Check (0% failures, p95 < 100 ms)
 *   OUT_DIR                where handleSummary writes summary.json/.txt, stats.csv and
 *                          report.html (default perf-results/k6)
 *   TEST_ID                the testid tag on every sample (Prometheus remote write)
 */
import { check, fail } from "k6";
import http from "k6/http";
import { Rate, Trend } from "k6/metrics";
import type { Options } from "k6/options";
import { parseCliDuration } from "../../lib/contract/duration.ts";
import { checkResponse } from "../../lib/workload/checks.ts";
import { parseBaseUrl } from "../../lib/workload/load-target.ts";
import { pickRequest } from "../../lib/workload/plan.ts";
import { renderHtml } from "../src/report/html-report.ts";
import { renderCsv, renderText } from "../src/report/summary-report.ts";
import {
  K6_SUMMARY_TREND_STATS,
  type K6SummaryData,
  k6Stages,
  k6Thresholds,
  summaryFromK6,
} from "../src/workload/k6-mapping.ts";
import { getProfile } from "../src/workload/profiles.ts";
import { resolveThresholds } from "../src/workload/thresholds.ts";

/** The compose stack's service name: reachable only inside the compose network. */
const COMPOSE_SERVICE_HOST = "mcp-resource-service";

export interface K6Test {
  options: Options;
  setup: () => { startedAt: string };
  iteration: () => void;
  handleSummary: (data: K6SummaryData) => Record<string, string>;
}

/** Call in k6's init context (module top level): it creates the custom metrics. */
export function buildTest(profileName: string): K6Test {
  const base = getProfile(profileName);
  const profile = {
    ...base,
    users: __ENV.USERS ? Number(__ENV.USERS) : base.users,
    spawnRate: __ENV.SPAWN_RATE ? Number(__ENV.SPAWN_RATE) : base.spawnRate,
  };
  const durationSeconds = __ENV.DURATION ? parseCliDuration(__ENV.DURATION) / 1_000 : profile.durationSeconds;
  const thresholds = resolveThresholds(profile, __ENV.GATE || "all", __ENV.THRESHOLDS);
  const allowedHosts = [COMPOSE_SERVICE_HOST].concat(
    (__ENV.ALLOWED_TARGET_HOSTS || "").split(",").filter((h) => h !== ""),
  );
  const target = parseBaseUrl(__ENV.BASE_URL || "http://127.0.0.1:8000", allowedHosts);
  const BASE_URL = target.origin;
  const OUT_DIR = (__ENV.OUT_DIR || "perf-results/k6").replace(/\/+$/, "");
  const TEST_ID = __ENV.TEST_ID || `${profile.name}-k6`;
  // The MCP scenario: MCP_SHARE=0.3 sends 30% of resource reads as POST /mcp resources/read.
  const MCP_SHARE = __ENV.MCP_SHARE ? Number(__ENV.MCP_SHARE) : 0;

  /** True when a request failed its status or body check (the runbook's failure rate). */
  const requestFailed = new Rate("mcp_request_failed");
  /** Latency by the service's X-Cache header (HIT/MISS), which k6 cannot tag before the response. */
  const durationByCache = new Trend("mcp_request_duration_by_cache", true);

  const options: Options = {
    scenarios: {
      resources: {
        executor: "ramping-vus",
        startVUs: 0,
        stages: k6Stages(profile, durationSeconds),
        gracefulRampDown: "5s",
        gracefulStop: "5s",
      },
    },
    thresholds: k6Thresholds(thresholds),
    summaryTrendStats: K6_SUMMARY_TREND_STATS,
    tags: { testid: TEST_ID, profile: profile.name },
  };

  function setup(): { startedAt: string } {
    const res = http.get(`${BASE_URL}/readyz`, { tags: { name: "readyz" }, timeout: "5s" });
    if (res.status !== 200) {
      fail(`the service at ${BASE_URL} is not ready: GET /readyz answered ${res.status}`);
    }
    return { startedAt: new Date().toISOString() };
  }

  function iteration(): void {
    const planned = pickRequest(Math.random, MCP_SHARE);
    const tags = {
      workload: "mcp",
      resource_type: planned.resourceType,
      endpoint: planned.endpoint,
      // Group every URL of an endpoint under one name (bounded series in Prometheus).
      name: planned.endpoint,
    };
    const res = http.request(planned.method ?? "GET", `${BASE_URL}${planned.path}`, planned.body ?? null, {
      tags,
      headers: planned.headers ?? { Accept: "application/json" },
      timeout: "10s",
    });
    const body = typeof res.body === "string" ? res.body : "";
    const reason = checkResponse(planned.expect, res.status, body);
    check(
      res,
      {
        "status is 200": (r) => r.status === 200,
        "body has the contract's shape": () => reason === undefined || reason.indexOf("status ") === 0,
      },
      tags,
    );
    requestFailed.add(reason !== undefined, tags);
    const cache = res.headers["X-Cache"];
    if (cache === "HIT" || cache === "MISS") {
      durationByCache.add(res.timings.duration, {
        cache_result: cache.toLowerCase(),
        resource_type: planned.resourceType,
      });
    }
  }

  function handleSummary(data: K6SummaryData): Record<string, string> {
    const summary = summaryFromK6(data, {
      engine: "k6",
      profile,
      durationSeconds,
      baseUrl: BASE_URL,
      testId: TEST_ID,
      startedAt: new Date(Date.now() - (data.state?.testRunDurationMs ?? 0)).toISOString(),
      thresholds,
    });
    const text = renderText(summary);
    return {
      stdout: text,
      [`${OUT_DIR}/summary.json`]: `${JSON.stringify(summary, null, 2)}\n`,
      [`${OUT_DIR}/summary.txt`]: text,
      [`${OUT_DIR}/stats.csv`]: renderCsv(summary),
      [`${OUT_DIR}/report.html`]: renderHtml(summary),
    };
  }

  return { options, setup, iteration, handleSummary };
}
