import path from "node:path";
import { REPO_ROOT } from "../../lib/repo.js";

/** Path of the runbook inside the repository. */
export const RUNBOOK_PATH = "docs/runbook.md";

/**
 * Where alerts point operators: `<base>#<anchor>`, one anchor per alert in docs/runbook.md.
 * By default the base is the runbook's path in this repository, a reference that resolves in
 * every checkout and on whatever forge hosts the project, without inventing a host. Where the
 * runbook is published (the project's home, an internal forge or docs site rendering Markdown
 * with GitHub's heading anchors), generate with its URL instead: `--runbook-base-url=` or
 * RUNBOOK_BASE_URL (see runbookBaseUrl).
 */
export const DEFAULT_RUNBOOK_BASE_URL = RUNBOOK_PATH;

export const RUNBOOK_BASE_URL_FLAG = "--runbook-base-url";
export const RUNBOOK_BASE_URL_ENV = "RUNBOOK_BASE_URL";

/** True for an absolute http(s) base, which links outside the repository (dashboards) can use. */
export function isAbsoluteRunbookBase(base: string): boolean {
  return /^https?:\/\//.test(base);
}

/**
 * Checks a runbook base URL and returns it: an absolute http(s) URL without query or fragment,
 * or a relative path that resolves, from the repository root, to docs/runbook.md itself.
 */
export function validateRunbookBaseUrl(base: string): string {
  if (isAbsoluteRunbookBase(base)) {
    const url = new URL(base);
    if (url.hash || url.search)
      throw new Error(`runbook base URL ${base}: no query or fragment (the anchor is added)`);
    return base;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(base))
    throw new Error(`runbook base URL ${base}: only http(s) URLs or a repository path`);
  if (path.resolve(REPO_ROOT, base) !== path.join(REPO_ROOT, RUNBOOK_PATH)) {
    throw new Error(`runbook base URL ${base}: a relative base must be the runbook's path, ${RUNBOOK_PATH}`);
  }
  return base;
}

/**
 * The runbook base URL of one generator run: `--runbook-base-url=<url>` among `argv`, else the
 * RUNBOOK_BASE_URL variable, else the default. `npm run check:gen` and the tests resolve it the
 * same way, so they compare against what `npm run gen:obs` wrote with the same setting.
 */
export function runbookBaseUrl(argv: readonly string[] = [], env: NodeJS.ProcessEnv = {}): string {
  const flag = argv.find((a) => a.startsWith(`${RUNBOOK_BASE_URL_FLAG}=`));
  const chosen =
    flag?.slice(RUNBOOK_BASE_URL_FLAG.length + 1) || env[RUNBOOK_BASE_URL_ENV] || DEFAULT_RUNBOOK_BASE_URL;
  return validateRunbookBaseUrl(chosen);
}

/**
 * GitHub's heading anchor (github-slugger): lower-case, drop everything but letters, digits,
 * marks, spaces, `-` and `_`, then spaces become `-`. Duplicates are numbered by
 * `headingSlugs`.
 */
export function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

export function runbookUrl(heading: string, base: string = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${base}#${githubSlug(heading)}`;
}

/**
 * The anchors GitHub renders for a Markdown document: ATX headings outside fenced code,
 * inline markup reduced to its text, repeated slugs suffixed -1, -2, ...
 */
export function headingSlugs(markdown: string): string[] {
  const slugs: string[] = [];
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch?.[1]) {
      const marker = fenceMatch[1];
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const text = heading[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .replace(/[`*~]/g, "");
    const base = githubSlug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.push(count === 0 ? base : `${base}-${count}`);
  }
  return slugs;
}
