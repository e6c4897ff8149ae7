/**
 * The runbook's load distribution: which endpoint a request goes to, and which names it
 * picks, by weight. k6 loads this module (see lib/workload/plan.ts).
 */
import type { ResourceType } from "../contract/resource-kinds.ts";
import type { Language, PatternName, TemplateType } from "./catalogue.ts";

/** Finer than resource_type: the request kinds of the runbook's load distribution, and MCP reads. */
export const ENDPOINTS = ["sdlc_core", "pattern", "template", "template_listing", "mcp_read"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface AccessWeight {
  readonly endpoint: Endpoint;
  readonly resourceType: ResourceType;
  readonly weight: number;
}

/**
 * The runbook's "Load Distribution": 50% SDLC core, 40% patterns, 20% templates, 10% template
 * listing. Those add up to 120%, so they are relative weights: the real shares are
 * 50/120 = 41.7%, 40/120 = 33.3%, 20/120 = 16.7% and 10/120 = 8.3% (as Locust's task
 * weights would have made them).
 */
export const ACCESS_PATTERN: readonly AccessWeight[] = [
  { endpoint: "sdlc_core", resourceType: "sdlc", weight: 50 },
  { endpoint: "pattern", resourceType: "patterns", weight: 40 },
  { endpoint: "template", resourceType: "templates", weight: 20 },
  { endpoint: "template_listing", resourceType: "templates", weight: 10 },
];

/** Most projects are Python (the service's default language), then TypeScript, then Go. */
export const LANGUAGE_WEIGHTS: Readonly<Record<Language, number>> = { python: 50, typescript: 30, go: 20 };

/** A long-tail skew: the core and tooling patterns are read far more than the niche ones. */
export const PATTERN_WEIGHTS: Readonly<Record<PatternName, number>> = {
  core: 30,
  tooling: 20,
  testing: 18,
  errors: 14,
  security: 10,
  observability: 8,
};

/** Stories and PRDs are written most; incident reviews least. Every type gets some traffic. */
export const TEMPLATE_WEIGHTS: Readonly<Record<TemplateType, number>> = {
  prd: 18,
  "user-story": 18,
  hls: 12,
  adr: 10,
  "design-doc": 10,
  "test-plan": 8,
  runbook: 7,
  research: 6,
  "release-notes": 6,
  "incident-review": 5,
};
