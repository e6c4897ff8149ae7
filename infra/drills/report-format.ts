/** How drills write figures into their report sections. */
import { markdownTable } from "../../lib/markdown-table.js";

/** A Markdown table laid out as biome formats it, so reports committed as samples stay clean. */
export const table = markdownTable;

/** "12.3 ms" */
export const ms = (v: number) => `${v.toFixed(1)} ms`;
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
