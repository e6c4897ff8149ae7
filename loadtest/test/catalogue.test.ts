import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LANGUAGE_WEIGHTS, PATTERN_WEIGHTS, TEMPLATE_WEIGHTS } from "../../lib/workload/access-pattern.js";
import { LANGUAGES, PATTERN_NAMES, SDLC_NAMES, TEMPLATE_TYPES } from "../../lib/workload/catalogue.js";

const content = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../service/content");

const names = (dir: string) =>
  readdirSync(path.join(content, dir))
    .filter((f) => f.endsWith(".md"))
    .map((f) => f.slice(0, -3))
    .sort();
const dirs = (dir: string) =>
  readdirSync(path.join(content, dir), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const sorted = (list: readonly string[]) => [...list].sort();

/** k6 cannot list directories, so the workload carries the catalogue; it must equal the disk. */
describe("the workload's catalogue equals service/content", () => {
  it("SDLC documents", () => {
    expect(sorted(SDLC_NAMES)).toEqual(names("sdlc"));
  });

  it("pattern languages, and every language has exactly the catalogue's pattern names", () => {
    expect(sorted(LANGUAGES)).toEqual(dirs("patterns"));
    for (const language of LANGUAGES) {
      expect(names(path.join("patterns", language)), `patterns/${language}`).toEqual(sorted(PATTERN_NAMES));
    }
  });

  it("template artifact types", () => {
    expect(sorted(TEMPLATE_TYPES)).toEqual(names("templates"));
  });

  it("has a positive weight for every catalogue entry and none for anything else", () => {
    expect(sorted(Object.keys(LANGUAGE_WEIGHTS))).toEqual(sorted(LANGUAGES));
    expect(sorted(Object.keys(PATTERN_WEIGHTS))).toEqual(sorted(PATTERN_NAMES));
    expect(sorted(Object.keys(TEMPLATE_WEIGHTS))).toEqual(sorted(TEMPLATE_TYPES));
    for (const w of [
      ...Object.values(LANGUAGE_WEIGHTS),
      ...Object.values(PATTERN_WEIGHTS),
      ...Object.values(TEMPLATE_WEIGHTS),
    ]) {
      expect(w).toBeGreaterThan(0);
    }
  });
});
