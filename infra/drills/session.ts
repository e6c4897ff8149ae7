/**
 * Several drills in a row on one stack under one background load: the stack starts once
 * (the slow part), and each drill resets alerting state before its own baseline.
 */
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
      log(`starting a ${provider} stack with faults enabled and time-scaled rules...`);
      target = await startDrillStack(provider, options.logDir ? { logDir: options.logDir } : {});
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
    return runDrill(DRILLS[name](), this.target, this.load, { log: this.log });
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

/** Opens a session, runs `drills` in order, closes it. */
export async function runSession(
  drills: readonly DrillName[],
  options: SessionOptions & { onResult?: (result: DrillResult) => void } = {},
): Promise<DrillResult[]> {
  const session = await DrillSession.open(options);
  const results: DrillResult[] = [];
  try {
    for (const name of drills) {
      const result = await session.run(name);
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await session.close();
  }
  return results;
}
