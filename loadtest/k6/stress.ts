/**
 * Stress test (runbook: 500 users, spawn 50/s, 10 m): find the breaking point.
 *
 *   BASE_URL=http://127.0.0.1:8000 k6 run loadtest/k6/stress.ts
 *
 * Environment and outputs: see test-definition.ts. The CLI (`npm run perf:test -- --engine k6`) also
 * sets the web dashboard export, CSV output and Prometheus remote write.
 */
import { buildTest } from "./test-definition.ts";

const test = buildTest("stress");

export const options = test.options;
export const setup = test.setup;
export const handleSummary = test.handleSummary;
export default test.iteration;
