import {
  type Dashboard,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DATASOURCE } from "../grafana/datasources.js";
import type { RuleSet } from "../rules/index.js";
import { assembleDashboard } from "./assemble.js";
import { LATENCY_THRESHOLDS, stat, timeseries, ZERO_TOLERANCE } from "./panels.js";

/** Every k6 query is scoped to the selected test runs (k6's `testid` tag becomes a label). */
const T = `{testid=~"$testid"}`;
const RATE = "$__rate_interval";

/**
 * k6 results as written by `k6 run -o experimental-prometheus-rw` into Prometheus' remote-write
 * receiver. Trend stats need K6_PROMETHEUS_RW_TREND_STATS="p(95),p(99),avg,max" so that
 * k6_http_req_duration_p95/_p99 exist (k6's default is p(99) only).
 */
export function k6ResultsDashboard(rules: RuleSet): Dashboard {
  const testid = new QueryVariableBuilder("testid")
    .label("Test run (testid)")
    .datasource({ type: DATASOURCE.type, uid: DATASOURCE.uid })
    .query("label_values(k6_http_reqs_total, testid)")
    .definition("label_values(k6_http_reqs_total, testid)")
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalDesc)
    .multi(true)
    .includeAll(true)
    .allValue(".*");

  const summary = [
    stat({
      title: "Requests",
      description: "HTTP requests k6 made in the time range.",
      queries: [{ expr: `sum(increase(k6_http_reqs_total${T}[$__range]))` }],
    }),
    stat({
      title: "Worst p95 response time",
      description: "Highest p95 k6 reported in the range; runbook target < 100 ms.",
      queries: [{ expr: `max(k6_http_req_duration_p95${T})` }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
      reducer: "max",
    }),
    stat({
      title: "Worst p99 response time",
      description: "Highest p99 k6 reported in the range; runbook target < 200 ms.",
      queries: [{ expr: `max(k6_http_req_duration_p99${T})` }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
      reducer: "max",
    }),
    stat({
      title: "Failed requests",
      description: "k6's http_req_failed rate; runbook target 0%.",
      queries: [{ expr: `max(k6_http_req_failed_rate${T})` }],
      unit: "percentunit",
      thresholds: ZERO_TOLERANCE,
      reducer: "max",
    }),
    stat({
      title: "Peak VUs",
      description: "Most virtual users running at once.",
      queries: [{ expr: `sum(k6_vus${T})` }],
      reducer: "max",
    }),
    stat({
      title: "Checks passed",
      description: "Share of k6 checks that passed.",
      queries: [{ expr: `avg(k6_checks_rate${T})` }],
      unit: "percentunit",
      thresholds: [
        { value: null, color: "red" },
        { value: 1, color: "green" },
      ],
    }),
  ];

  const load = [
    timeseries({
      title: "Request rate by status",
      description: "Requests per second k6 sent, by HTTP status (runbook throughput target > 500 req/s).",
      queries: [{ expr: `sum by (status) (rate(k6_http_reqs_total${T}[${RATE}]))`, legend: "{{status}}" }],
      unit: "reqps",
      stacked: true,
    }),
    timeseries({
      title: "Virtual users",
      description: "Active VUs per test run.",
      queries: [{ expr: `sum by (testid) (k6_vus${T})`, legend: "{{testid}}" }],
    }),
    timeseries({
      title: "Response time p95 / p99",
      description: "Client-side percentiles per test run; dashed lines at 100 ms and 200 ms.",
      queries: [
        { expr: `max by (testid) (k6_http_req_duration_p95${T})`, legend: "p95 {{testid}}" },
        { expr: `max by (testid) (k6_http_req_duration_p99${T})`, legend: "p99 {{testid}}" },
      ],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "p95 by request name",
      description: "Per endpoint (k6's `name` tag), to see which resource type is slow.",
      queries: [{ expr: `max by (name) (k6_http_req_duration_p95${T})`, legend: "{{name}}" }],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
    }),
    timeseries({
      title: "Failure rate",
      description: "k6's http_req_failed per test run.",
      queries: [{ expr: `max by (testid) (k6_http_req_failed_rate${T})`, legend: "{{testid}}" }],
      unit: "percentunit",
      thresholds: ZERO_TOLERANCE,
    }),
    timeseries({
      title: "Iterations per second",
      description: "Completed iterations per scenario.",
      queries: [
        { expr: `sum by (scenario) (rate(k6_iterations_total${T}[${RATE}]))`, legend: "{{scenario}}" },
      ],
      unit: "ops",
    }),
    timeseries({
      title: "Data transfer",
      description: "Bytes per second received and sent by k6.",
      queries: [
        { expr: `sum(rate(k6_data_received_bytes_total${T}[${RATE}]))`, legend: "received" },
        { expr: `sum(rate(k6_data_sent_bytes_total${T}[${RATE}]))`, legend: "sent" },
      ],
      unit: "Bps",
      width: 24,
    }),
  ];

  const serverSide = [
    timeseries({
      title: "Client p95 (k6) vs server p95 (service)",
      description: "A gap between the two is time outside resource loading: network, HTTP, queueing in Node.",
      queries: [
        { expr: `max(k6_http_req_duration_p95${T})`, legend: "k6 p95 (client)" },
        { expr: rules.names.latency(0.95, "overall"), legend: "service p95 (resource loading)" },
      ],
      unit: "s",
      thresholds: LATENCY_THRESHOLDS,
      width: 24,
    }),
  ];

  return assembleDashboard({
    runbookBaseUrl: rules.runbookBaseUrl,
    uid: "k6-load-test-results",
    title: "k6 load test results",
    description:
      "k6 runs written to Prometheus via remote write (testid tag); see docs/runbook.md, perf:test.",
    tags: ["sdlc-resource-stack", "k6", "load-test"],
    variables: [testid],
    rows: [
      { title: "Summary", panels: summary },
      { title: "Load and latency", panels: load },
      { title: "Server side", panels: serverSide },
    ],
  });
}
