import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "../src/params.js";
import { REPO_ROOT } from "../src/paths.js";
import { alertRunbookUrl, allAlerts, ruleSet } from "../src/rules/index.js";
import { githubSlug, headingSlugs, RUNBOOK_BASE_URL, RUNBOOK_PATH } from "../src/runbook.js";

const readRunbook = () => readFile(path.join(REPO_ROOT, RUNBOOK_PATH), "utf8");
const alerts = allAlerts(ruleSet(DEFAULT_PARAMS));

describe("GitHub heading slugs", () => {
  it("follow GitHub's algorithm", () => {
    expect(githubSlug("ResourceServiceDown")).toBe("resourceservicedown");
    expect(githubSlug("Issue: p95 Latency >100ms")).toBe("issue-p95-latency-100ms");
    expect(githubSlug("Node.js runtime (GC & event loop)")).toBe("nodejs-runtime-gc--event-loop");
    expect(githubSlug("perf:test:quick")).toBe("perftestquick");
    expect(githubSlug("snake_case stays")).toBe("snake_case-stays");
  });

  it("number duplicates and skip fenced code", () => {
    const md = "# A\n\n```bash\n# not a heading\n```\n\n## A\n### `B` title\n";
    expect(headingSlugs(md)).toEqual(["a", "a-1", "b-title"]);
  });
});

describe("docs/runbook.md", () => {
  it.each(alerts.map((a) => [a.alert, alertRunbookUrl(a)] as const))(
    "has the heading %s's runbook_url points to",
    async (_, url) => {
      expect(url.startsWith(`${RUNBOOK_BASE_URL}#`)).toBe(true);
      const anchor = url.slice(RUNBOOK_BASE_URL.length + 1);
      expect(headingSlugs(await readRunbook())).toContain(anchor);
    },
  );

  it("explains meaning, diagnosis and fix for every alert", async () => {
    const md = await readRunbook();
    for (const alert of alerts) {
      const start = md.indexOf(`\n### ${alert.alert}\n`);
      expect(start, alert.alert).toBeGreaterThan(0);
      const next = md.indexOf("\n### ", start + 1);
      const section = md.slice(start, next < 0 ? undefined : next);
      for (const part of ["Meaning", "Diagnosis", "Fix"]) {
        expect(section, `${alert.alert}: ${part}`).toMatch(new RegExp(`\\*\\*${part}:\\*\\*\\s+\\S`));
      }
    }
  });

  it("links only to anchors that exist", async () => {
    const md = await readRunbook();
    const slugs = new Set(headingSlugs(md));
    const links = [...md.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((anchor) => !slugs.has(anchor ?? ""))).toEqual([]);
  });

  it("uses this stack's task names", async () => {
    const md = await readRunbook();
    for (const task of [
      "perf:test",
      "perf:test:quick",
      "perf:profile",
      "perf:benchmark",
      "perf:clean",
      "db:start",
      "dev",
    ]) {
      expect(md).toContain(`task ${task}`);
    }
    expect(md).not.toMatch(/\buv (run|sync)\b|locust -f|py-spy record/);
  });
});
