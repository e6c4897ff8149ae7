import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "service/test/**/*.test.ts",
      "infra/test/**/*.test.ts",
      "loadtest/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Test files start their own redis-server/prometheus on free ports; a little
    // parallelism is fine on 2 cores, more only adds noise to latency assertions.
    maxWorkers: 2,
  },
});
