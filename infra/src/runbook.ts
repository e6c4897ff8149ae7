/**
 * Where alerts point operators: one published copy of docs/runbook.md, one anchor per alert.
 * The base URL is defined here only; a test resolves every anchor against the file.
 */
export const RUNBOOK_BASE_URL =
  "https://github.com/sdlc-resource-stack/sdlc-resource-stack/blob/main/docs/runbook.md";

/** Path of the runbook inside the repository. */
export const RUNBOOK_PATH = "docs/runbook.md";

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

export function runbookUrl(heading: string): string {
  return `${RUNBOOK_BASE_URL}#${githubSlug(heading)}`;
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
