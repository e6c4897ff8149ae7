import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../../lib/repo.js";
import { OUTPUT_PATHS } from "../src/outputs.js";
import { DEFAULT_PARAMS } from "../src/rule-params.js";
import { allAlerts, ruleSet } from "../src/rules/index.js";
import {
  DEFAULT_RUNBOOK_BASE_URL,
  githubSlug,
  headingSlugs,
  isAbsoluteRunbookBase,
  RUNBOOK_PATH,
  runbookBaseUrl,
} from "../src/runbook.js";

const readRunbook = () => readFile(path.join(REPO_ROOT, RUNBOOK_PATH), "utf8");
/** The base `npm run gen:obs` uses in this environment (RUNBOOK_BASE_URL, if set). */
const base = runbookBaseUrl([], process.env);
const alerts = allAlerts(ruleSet(DEFAULT_PARAMS, base));

describe("the runbook base URL", () => {
  it("defaults to the runbook's path in the repository, a file that exists", async () => {
    expect(DEFAULT_RUNBOOK_BASE_URL).toBe(RUNBOOK_PATH);
    await expect(access(path.join(REPO_ROOT, DEFAULT_RUNBOOK_BASE_URL))).resolves.toBeUndefined();
  });

  it("is --runbook-base-url=, else RUNBOOK_BASE_URL, else the default", () => {
    const home = "https://git.example.org/sre/sdlc-resource-stack/blob/main/docs/runbook.md";
    const wiki = "https://wiki.example.org/sdlc/runbook";
    expect(runbookBaseUrl([], {})).toBe(DEFAULT_RUNBOOK_BASE_URL);
    expect(runbookBaseUrl([], { RUNBOOK_BASE_URL: wiki })).toBe(wiki);
    expect(runbookBaseUrl(["--check", `--runbook-base-url=${home}`], { RUNBOOK_BASE_URL: wiki })).toBe(home);
    const linked = allAlerts(ruleSet(DEFAULT_PARAMS, home));
    expect(linked.every((a) => a.runbookUrl.startsWith(`${home}#`))).toBe(true);
  });

  it("refuses a base that cannot lead to the runbook", () => {
    for (const bad of [
      "docs/architecture.md",
      "../elsewhere/docs/runbook.md",
      "https://example.org/docs/runbook.md#alerts",
      "ftp://example.org/docs/runbook.md",
    ]) {
      expect(() => runbookBaseUrl([`--runbook-base-url=${bad}`]), bad).toThrow();
    }
  });

  it("in use here resolves: the repository's runbook, or an absolute http(s) URL", async () => {
    if (isAbsoluteRunbookBase(base)) expect(new URL(base).protocol).toMatch(/^https?:$/);
    else await expect(access(path.join(REPO_ROOT, base))).resolves.toBeUndefined();
  });
});

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
  it("has the section of every runbook_url in the committed alert rules", async () => {
    type RuleFile = { groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[] };
    const file = parse(await readFile(path.join(REPO_ROOT, OUTPUT_PATHS.alertRules), "utf8")) as RuleFile;
    const urls = file.groups.flatMap((g) =>
      g.rules.map((r) => [r.alert, r.annotations?.runbook_url] as const),
    );
    expect(urls.map(([alert]) => alert).sort()).toEqual(alerts.map((a) => a.alert).sort());
    const slugs = new Set(headingSlugs(await readRunbook()));
    for (const [alert, url] of urls) {
      expect(url?.startsWith(`${base}#`), `${alert}: ${url}`).toBe(true);
      const anchor = url?.slice(base.length + 1) ?? "";
      expect(slugs.has(anchor), `${alert}: #${anchor} is no heading of ${RUNBOOK_PATH}`).toBe(true);
    }
  });

  it.each(alerts.map((a) => [a.alert, a.runbookUrl] as const))(
    "links %s to its own section",
    (alert, url) => {
      expect(url).toBe(`${base}#${githubSlug(alert)}`);
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
