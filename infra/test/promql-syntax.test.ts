import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { findBinary } from "../../lib/harness/binaries.js";
import { run } from "../../test/support/exec.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { allAlerts, allRecordingRules, ruleSet } from "../src/rules/index.js";
import {
  allPanels,
  DASHBOARD_FILES,
  loadDashboard,
  substituteVariables,
  variableSelector,
} from "./dashboard-queries.js";

/**
 * Every PromQL expression of the stack through Prometheus' own parser: each is wrapped as a
 * recording rule in a scratch file and `promtool check rules` parses it.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "promql-syntax-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function checkExpressions(name: string, exprs: readonly string[]) {
  const file = path.join(dir, `${name}.yml`);
  await writeFile(
    file,
    stringify({
      groups: [
        {
          name,
          rules: exprs.map((expr, i) => ({ record: `syntax_check:${name.replace(/\W/g, "_")}:${i}`, expr })),
        },
      ],
    }),
  );
  return await run(findBinary(["promtool"]), ["check", "rules", file]);
}

describe("PromQL syntax (promtool's parser)", () => {
  it("rejects a broken expression, so the checks below can fail", async () => {
    const result = await checkExpressions("broken", ["sum(rate(up[5m])"]);
    expect(result.code).not.toBe(0);
  });

  it("accepts every recording rule and alert expression", async () => {
    const rules = ruleSet(DEFAULT_PARAMS);
    const exprs = [...allRecordingRules(rules), ...allAlerts(rules)].map((r) => r.expr);
    const result = await checkExpressions("rules", exprs);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  }, 60_000);

  it.each(DASHBOARD_FILES)(
    "accepts every panel query and variable of %s",
    async (file) => {
      const dashboard = await loadDashboard(file);
      const raw = allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
      const variables = (dashboard.templating?.list ?? [])
        .map((v) => (typeof v.query === "string" ? variableSelector(v.query) : undefined))
        .filter((q): q is string => q !== undefined);
      const exprs = [...raw, ...variables].map(substituteVariables);
      expect(exprs.length).toBeGreaterThan(10);
      // Anything still starting with `$` is a variable the substitution does not know.
      expect(exprs.filter((e) => /\$(?!\d)/.test(e))).toEqual([]);
      const result = await checkExpressions(path.basename(file, ".json"), exprs);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    },
    60_000,
  );
});
