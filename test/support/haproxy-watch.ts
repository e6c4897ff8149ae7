import { type HaproxyServerState, serverStates } from "../../lib/harness/haproxy.js";

/** What HAProxy reported at one moment. */
export interface StatesSample {
  readonly at: number;
  readonly states: HaproxyServerState[];
}

/**
 * Samples HAProxy's server states every 200 ms from now until `stop()`, which resolves with
 * every sample: failover tests check afterwards what HAProxy did while they acted (an
 * unanswered scrape counts as a sample with no states).
 */
export function watchServerStates(metricsUrl: string): { stop(): Promise<StatesSample[]> } {
  const seen: StatesSample[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const at = Date.now();
      seen.push({ at, states: await serverStates(metricsUrl).catch(() => []) });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      watching = false;
      await watcher;
      return seen;
    },
  };
}

/** The samples, from `from` on (or before `before`), in which `server` of `backend` was in `state`. */
export function samplesWith(
  seen: readonly StatesSample[],
  where: { backend: string; server: string; state: string },
  window: { from?: number; before?: number },
): StatesSample[] {
  return seen.filter(
    ({ at, states }) =>
      (window.from === undefined || at >= window.from) &&
      (window.before === undefined || at < window.before) &&
      states.some((s) => s.backend === where.backend && s.server === where.server && s.state === where.state),
  );
}
