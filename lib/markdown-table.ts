/**
 * Markdown tables laid out the way the formatter (Biome) lays them out: every column padded
 * to its widest cell (by display width: `≥` is one column, an emoji two), so a
 * generated document passes `biome check` as written. Right-aligned columns get a `---:` rule.
 */

/** Columns a string takes in a monospace font: emoji such as ✅/❌ and East Asian wide characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    const wide =
      c === 0x2705 ||
      c === 0x274c ||
      c === 0x274e ||
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0x1f300 && c <= 0x1faff);
    width += wide ? 2 : 1;
  }
  return width;
}

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { readonly rightAligned?: readonly boolean[] } = {},
): string {
  const right = options.rightAligned ?? [];
  const widths = header.map((h, i) =>
    Math.max(3, displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))),
  );
  const pad = (cell: string, i: number) => {
    const fill = " ".repeat((widths[i] ?? 0) - displayWidth(cell));
    return right[i] ? fill + cell : cell + fill;
  };
  const line = (cells: readonly string[]) =>
    `| ${widths.map((_, i) => pad(cells[i] ?? "", i)).join(" | ")} |`;
  const rule = widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w)));
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}
