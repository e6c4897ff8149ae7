import { resourceKind, routePath } from "../../../lib/contract/resource-kinds.js";
import { httpRequests, idleLoadingHistograms, loadingHistogram } from "./series.js";
import type { AlertTestSpec } from "./types.js";

/*
 * promtool scenarios of the SLO burn-rate alerts (multi-window, multi-burn-rate). Expected
 * values are worked out by hand from the service's bucket edges, as in alert-scenarios.ts.
 * Rates are per 1m evaluation interval; 600 = 10 req/s.
 */

const _SDLC_ROUTE = routePath(resourceKind("sdlc"));
const PATTERNS_ROUTE = routePath(resourceKind("patterns"));

const LATENCY_SLO_TEXT = "the SLO allows 5% over 30d (95% of resource loads complete in under 100 ms)";
const AVAILABILITY_SLO_TEXT =
  "the SLO allows 0.1% over 30d (99.9% of requests to resource routes do not fail with a 5xx)";
const PAGE_BURN = "Burn rate at least 14.4x over 1h and 5m, or 6x over 6h and 30m.";
const TICKET_BURN = "Burn rate at least 3x over 1d and 2h, or 1x over 3d and 6h.";

export const SLO_TEST_SPECS: readonly AlertTestSpec[] = [
  {
    alert: "ResourceLatencySLOFastBurn",
    scenarios: [
      {
        kind: "fires",
        name: "80% of loads over 100 ms (16x burn)",
        series: loadingHistogram(600, [
          [0.004, 0.2],
          [0.3, 0.8],
        ]),
        expect: [
          {
            description: `80% of resource loads took longer than 100ms over the long window; ${LATENCY_SLO_TEXT}. ${PAGE_BURN}`,
          },
        ],
      },
      {
        kind: "below",
        name: "29% of loads over 100 ms (5.8x burn, under both page pairs)",
        series: loadingHistogram(600, [
          [0.004, 0.71],
          [0.3, 0.29],
        ]),
      },
      {
        kind: "guard",
        name: "80% slow at 0.5 req/s",
        series: loadingHistogram(30, [
          [0.004, 0.2],
          [0.3, 0.8],
        ]),
      },
      { kind: "idle", name: "no loads", series: idleLoadingHistograms() },
    ],
  },
  {
    alert: "ResourceLatencySLOSlowBurn",
    scenarios: [
      {
        kind: "fires",
        // 1000 loads/s: the guard reads the 2h short window, which a fresh series only
        // fills at this rate within the first minute (the runbook's >500 req/s load).
        name: "20% of loads over 100 ms (4x burn) at 1000 loads/s",
        series: loadingHistogram(60000, [
          [0.004, 0.8],
          [0.3, 0.2],
        ]),
        expect: [
          {
            description: `20% of resource loads took longer than 100ms over the long window; ${LATENCY_SLO_TEXT}. ${TICKET_BURN}`,
          },
        ],
      },
      {
        kind: "below",
        name: "4% of loads over 100 ms (0.8x burn) at 1000 loads/s",
        series: loadingHistogram(60000, [
          [0.004, 0.96],
          [0.3, 0.04],
        ]),
      },
      {
        kind: "guard",
        name: "20% slow at 0.5 req/s",
        series: loadingHistogram(30, [
          [0.004, 0.8],
          [0.3, 0.2],
        ]),
      },
      { kind: "idle", name: "no loads", series: idleLoadingHistograms() },
    ],
  },
  {
    alert: "ResourceAvailabilitySLOFastBurn",
    scenarios: [
      {
        kind: "fires",
        name: "2% of requests fail (20x burn)",
        series: httpRequests(PATTERNS_ROUTE, { "200": 9800, "503": 200 }),
        expect: [
          {
            description: `2% of requests to resource routes failed with a 5xx over the long window; ${AVAILABILITY_SLO_TEXT}. ${PAGE_BURN}`,
          },
        ],
      },
      {
        kind: "below",
        name: "0.5% of requests fail (5x burn, under both page pairs)",
        series: httpRequests(PATTERNS_ROUTE, { "200": 9950, "503": 50 }),
      },
      {
        kind: "guard",
        name: "50% fail at 0.5 req/s",
        series: httpRequests(PATTERNS_ROUTE, { "200": 15, "503": 15 }),
      },
      { kind: "idle", name: "no requests", series: httpRequests(PATTERNS_ROUTE, { "200": 0 }) },
    ],
  },
  {
    alert: "ResourceAvailabilitySLOSlowBurn",
    scenarios: [
      {
        kind: "fires",
        name: "0.5% of requests fail (5x burn)",
        series: httpRequests(PATTERNS_ROUTE, { "200": 9950, "503": 50 }),
        expect: [
          {
            description: `0.5% of requests to resource routes failed with a 5xx over the long window; ${AVAILABILITY_SLO_TEXT}. ${TICKET_BURN}`,
          },
        ],
      },
      {
        kind: "below",
        name: "0.09% of requests fail (0.9x burn)",
        series: httpRequests(PATTERNS_ROUTE, { "200": 9991, "503": 9 }),
      },
      {
        kind: "guard",
        name: "50% fail at 0.5 req/s",
        series: httpRequests(PATTERNS_ROUTE, { "200": 15, "503": 15 }),
      },
      { kind: "idle", name: "no requests", series: httpRequests(PATTERNS_ROUTE, { "200": 0 }) },
    ],
  },
];
