import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildOutputs, OUTPUT_PATHS, REPO_ROOT } from "../src/outputs.js";
import { runbookBaseUrl } from "../src/runbook.js";

/** What `npm run gen:obs` produces in this environment (RUNBOOK_BASE_URL, if set, included). */
const generate = () => buildOutputs({ runbookBaseUrl: runbookBaseUrl([], process.env) });

describe("generated observability files", () => {
  it("match what the TypeScript source generates (run `npm run gen:obs` after editing infra/src)", async () => {
    const outputs = await generate();
    expect(outputs.size).toBeGreaterThan(10);
    const drifted: string[] = [];
    for (const [rel, content] of outputs) {
      const onDisk = await readFile(path.join(REPO_ROOT, rel), "utf8").catch(() => undefined);
      if (onDisk !== content) drifted.push(rel);
    }
    expect(drifted).toEqual([]);
  });

  it("leave no stale promtool test files behind", async () => {
    const outputs = await generate();
    const onDisk = (await readdir(path.join(REPO_ROOT, OUTPUT_PATHS.ruleTestsDir)))
      .filter((name) => name.endsWith(".yml"))
      .map((name) => `${OUTPUT_PATHS.ruleTestsDir}/${name}`);
    expect(onDisk.filter((rel) => !outputs.has(rel))).toEqual([]);
  });
});
