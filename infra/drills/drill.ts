/** What a drill is: a fault, the alerts it must (and must not) cause, and what users see. */
import type { RedisTopology } from "../../lib/contract/stack.js";
import type { RecordingNames } from "../src/rules/recording.js";
import type { DrillStack } from "./drill-stack.js";
import type { BackgroundLoad } from "./load.js";
import type { AlertObserver } from "./observer.js";

export const DRILL_NAMES = [
  "redis-down",
  "redis-frozen",
  "slow-disk",
  "evictions",
  "errors",
  "service-down",
  "cold-start",
  "target-down",
  "replica-down",
  "redis-failover",
] as const;
export type DrillName = (typeof DRILL_NAMES)[number];

/**
 * The drills `npm test` also runs on docker-compose.yml: the outages only a real compose
 * stack shows the way users meet them (a stopped container, a paused one, injected errors).
 */
export const COMPOSE_DRILL_NAMES: readonly DrillName[] = [
  "redis-down",
  "redis-frozen",
  "service-down",
  "errors",
  "replica-down",
  "redis-failover",
];

export function isDrillName(value: string): value is DrillName {
  return (DRILL_NAMES as readonly string[]).includes(value);
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillContext {
  readonly target: DrillStack;
  readonly load: BackgroundLoad;
  readonly observer: AlertObserver;
  /** Recording rule names of the rules the target runs (windows differ when time-scaled). */
  readonly rules: RecordingNames;
  /** Epoch ms: the baseline phase began (steady load, no fault). */
  readonly baselineAt: number;
  /** Epoch ms of the inject step (0 before it). */
  readonly injectedAt: number;
  /** Epoch ms of the restore step (0 before it). */
  readonly restoredAt: number;
  /** A step on the timeline. */
  step(text: string): void;
  /** A user-facing promise of the runbook, checked; a failed check fails the drill. */
  check(name: string, ok: boolean, detail: string): void;
  /** Extra Markdown for the report (a measured table). */
  section(markdown: string): void;
  /** A single value from Prometheus (the first series), or undefined when it has none. */
  query(expr: string): Promise<number | undefined>;
  /** Every series of an instant query, as label set and value. */
  queryAll(expr: string): Promise<Array<{ labels: Readonly<Record<string, string>>; value: number }>>;
  sleep(ms: number): Promise<void>;
}

export interface Drill {
  readonly name: DrillName;
  /** The Redis topology the drill needs (default: single); drills are grouped by it. */
  readonly redisTopology?: RedisTopology;
  /** One line: the fault and what it proves. */
  readonly summary: string;
  /** Runbook sections (headings of docs/runbook.md) the drill rehearses besides its alerts. */
  readonly runbookSections: readonly string[];
  /** Must be delivered firing to the webhook, then resolved once the fault is removed. */
  readonly expect: readonly string[];
  /**
   * Must fire in Prometheus and be suppressed by Alertmanager's inhibition `by` while the
   * fault lasts; never delivered before the fault is removed (after, its source may resolve
   * first and Alertmanager rightly lets it through).
   */
  readonly inhibited?: readonly { readonly alert: string; readonly by: string }[];
  /** May fire: a consequence of the fault the runbook accepts. Anything else fails the drill. */
  readonly allowed?: readonly { readonly alert: string; readonly why: string }[];
  inject(ctx: DrillContext): Promise<void>;
  /** After the expected alerts arrived, the fault still on: what users see. */
  duringFault?(ctx: DrillContext): Promise<void>;
  /** Removes the fault. Also called when the drill fails midway, so it must be idempotent. */
  restore(ctx: DrillContext): Promise<void>;
  /**
   * Polled after restore until it returns a description: the system works again (the cache
   * hits, latency is back), which is not the same as "the alert resolved".
   */
  recovered(ctx: DrillContext): Promise<string | undefined>;
  /** After recovery: checks on the traffic since. */
  afterRecovery?(ctx: DrillContext): Promise<void>;
}
