/**
 * The shipped content the load workload requests, by kind (must equal service/content/:
 * loadtest/test/catalogue.test.ts compares them). k6 cannot list directories, so it is data.
 * No Node API and no npm package: k6 loads this module as it is (see lib/workload/plan.ts).
 */
import { type ResourceRef, resourceRef } from "../contract/resource-kinds.ts";

export const LANGUAGES = ["python", "typescript", "go"] as const;
export const PATTERN_NAMES = ["core", "tooling", "testing", "errors", "security", "observability"] as const;
export const TEMPLATE_TYPES = [
  "prd",
  "hls",
  "user-story",
  "research",
  "adr",
  "runbook",
  "test-plan",
  "release-notes",
  "incident-review",
  "design-doc",
] as const;
export const SDLC_NAMES = ["core"] as const;

export type Language = (typeof LANGUAGES)[number];
export type PatternName = (typeof PATTERN_NAMES)[number];
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

/** Every shipped resource as the kinds table names it, kind by kind. */
export function shippedResources(): ResourceRef[] {
  return [
    ...SDLC_NAMES.map((name) => resourceRef("sdlc", [name])),
    ...LANGUAGES.flatMap((language) =>
      PATTERN_NAMES.map((name) => resourceRef("patterns", [language, name])),
    ),
    ...TEMPLATE_TYPES.map((type) => resourceRef("templates", [type])),
  ];
}
