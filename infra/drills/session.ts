/**
 * Several drills in a row on one stack under one background load: the stack starts once
 * (the slow part), and each drill resets alerting state before its own baseline.
 */
import type { RedisTopology } from "../../lib/contract/stack.js";
import { waitFor } from "../../lib/harness/ports.js";
import type { ProviderName } from "../../lib/harness/stack/index.js";
import { DRILLS } from "./catalog.js";
import type { DrillName } from "./drill.js";
import { type DrillStack, startDrillStack } from "./drill-stack.js";
import { BackgroundLoad } from "./load.js";
import { phaseStats } from "./load-stats.js";
import { type DrillResult, runDrill } from "./runner.js";

export interface SessionOptions {
  /** A running stack; without it a stack of its own is started (and stopped on close). */
  readonly target?: DrillStack;
  /** Which stack to start when no target is given (default native). */
  readonly provider?: ProviderName;
  /** The Redis topology of the stack to start (default single). */
  readonly redisTopology?: RedisTopology;
  /** Background load, requests per second (default 40). */
  readonly rate?: number;
  /** Where the native stack's component logs go. */
  readonly logDir?: string;
  readonly log?: (line: string) => void;
}

export class DrillSession {
  private constructor(
    readonly target: DrillStack,
    private readonly ownsTarget: boolean,
    private readonly load: BackgroundLoad,
    private readonly log: (line: string) => void,
  ) {}

  static async open(options: SessionOptions = {}): Promise<DrillSession> {
    const log = options.log ?? (() => {});
    let target = options.target;
    if (!target) {
      const provider = options.provider ?? "native";
      const redisTopology = options.redisTopology ?? "single";
      log(
        `starting a ${provider} stack (${redisTopology} Redis) with faults enabled and time-scaled rules...`,
      );
      target = await startDrillStack(provider, {
        redisTopology,
        ...(options.logDir ? { logDir: options.logDir } : {}),
      });
    }
    const session = new DrillSession(
      target,
      !options.target,
      new BackgroundLoad(target.urls.service, { rate: options.rate ?? 40 }),
      log,
    );
    try {
      session.load.start();
      await session.warmUp();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  run(name: DrillName): Promise<DrillResult> {
    const drill = DRILLS[name]();
    const needs = drillTopology(name);
    if (needs !== this.target.redisTopology) {
      throw new Error(
        `${name} needs the ${needs} Redis topology; this stack runs ${this.target.redisTopology}`,
      );
    }
    return runDrill(drill, this.target, this.load, { log: this.log });
  }

  async close(): Promise<void> {
    await this.load.stop();
    if (this.ownsTarget) await this.target.close();
  }

  /**
   * Until the cache is warm (the last second's requests hit), so the first drill's "before"
   * numbers are a warm service, not the stack's own cold start.
   */
  private async warmUp(): Promise<void> {
    const started = Date.now();
    await waitFor(
      "a warm cache",
      async () => {
        const recent = phaseStats(this.load.samples(Date.now() - 1_000));
        return recent.requests > 10 && recent.failures === 0 && recent.missRatio < 0.05;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    this.log(`cache warm after ${((Date.now() - started) / 1000).toFixed(1)} s of load`);
  }
}

/** The Redis topology a drill runs on. */
export function drillTopology(name: DrillName): RedisTopology {
  return DRILLS[name]().redisTopology ?? "single";
}

/** Drills grouped by the topology they need, each group in the given order, single first. */
export function byTopology(drills: readonly DrillName[]): Array<[RedisTopology, DrillName[]]> {
  const groups = new Map<RedisTopology, DrillName[]>();
  for (const topology of ["single", "sentinel"] as const) groups.set(topology, []);
  for (const name of drills) groups.get(drillTopology(name))?.push(name);
  return [...groups].filter(([, names]) => names.length > 0);
}

/**
 * Runs `drills` in order, one session (one stack) per Redis topology they need. A running
 * target has one topology: drills needing another are refused before anything starts.
 */
export async function runSession(
  drills: readonly DrillName[],
  options: SessionOptions & { onResult?: (result: DrillResult) => void } = {},
): Promise<DrillResult[]> {
  const groups = byTopology(drills);
  const target = options.target;
  if (target) {
    const foreign = groups.filter(([topology]) => topology !== target.redisTopology).flatMap(([, n]) => n);
    if (foreign.length) {
      throw new Error(
        `${foreign.join(", ")} need a ${target.redisTopology === "single" ? "sentinel" : "single"} Redis topology; the running stack has ${target.redisTopology} (--redis-topology)`,
      );
    }
  }
  const results: DrillResult[] = [];
  for (const [redisTopology, names] of groups) {
    const session = await DrillSession.open({ ...options, redisTopology });
    try {
      for (const name of names) {
        const result = await session.run(name);
        results.push(result);
        options.onResult?.(result);
      }
    } finally {
      await session.close();
    }
  }
  return results;
}
