/**
 * Watches the three places an alert passes through and turns what it sees into a timeline:
 * Prometheus (pending, firing, inactive), Alertmanager (suppressed by an inhibition) and the
 * webhook receiver (notifications actually delivered, firing and resolved). Polling is
 * enough: every interesting transition lasts at least one evaluation interval.
 */

import { WATCHDOG_ALERT } from "../src/rules/self-monitoring.js";

/**
 * Alerts that fire whatever a drill does: the Watchdog heartbeat, delivered after every reset
 * of alerting. Expected background: never an unexpected or pre-existing alert of a drill, and
 * kept off its timeline (the observer counts its deliveries apart, as heartbeats).
 */
export const BACKGROUND_ALERTS: ReadonlySet<string> = new Set([WATCHDOG_ALERT]);

export type EventSource = "drill" | "prometheus" | "alertmanager" | "webhook";

export interface TimelineEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly source: EventSource;
  readonly alert?: string;
  readonly text: string;
}

export interface Delivery {
  readonly alert: string;
  readonly status: "firing" | "resolved";
  readonly receiver: string;
  /** Epoch ms the webhook received it. */
  readonly at: number;
}

export interface ObserverUrls {
  readonly prometheus: string;
  readonly alertmanager: string;
  readonly alertWebhook: string;
}

type PromState = "inactive" | "pending" | "firing";

interface PromAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
  activeAt: string;
}

interface AmAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; inhibitedBy: string[] };
}

interface Notification {
  receivedAt: string;
  receiver: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

const RANK: Record<PromState, number> = { inactive: 0, pending: 1, firing: 2 };

export class AlertObserver {
  readonly events: TimelineEvent[] = [];
  readonly deliveries: Delivery[] = [];
  /** Deliveries of the background alerts (the Watchdog), kept apart from the drill's own. */
  readonly heartbeats: Delivery[] = [];
  /** Current Prometheus state per alert name (the most advanced of its series). */
  readonly prometheus = new Map<string, PromState>();
  /** Alert name -> names of the alerts inhibiting it, while Alertmanager suppresses it. */
  readonly suppressed = new Map<string, string[]>();
  /** Every alert name Alertmanager was ever seen suppressing, with its inhibitors. */
  readonly everSuppressed = new Map<string, string[]>();
  private seenNotifications = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private readonly startedAt = Date.now();

  constructor(private readonly urls: ObserverUrls) {}

  /** Polls every `intervalMs` until stop(); the first poll runs before this resolves. */
  async start(intervalMs = 250): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      if (!this.busy) void this.poll();
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
  }

  /** A drill step (inject, restore, a measurement) on the same timeline. */
  step(text: string, at = Date.now()): void {
    this.events.push({ at, source: "drill", text });
  }

  firingDelivered(alert: string): Delivery | undefined {
    return this.deliveries.find((d) => d.alert === alert && d.status === "firing");
  }

  resolvedDelivered(alert: string, after = 0): Delivery | undefined {
    return this.deliveries.find((d) => d.alert === alert && d.status === "resolved" && d.at >= after);
  }

  /**
   * The alert is over after `after` (the restore): its resolution was delivered since, or it
   * already resolved during the fault (it flapped: a bursty signal under a time-scaled rule)
   * and has neither been delivered firing again nor is active in Prometheus now.
   */
  endedResolved(alert: string, after: number): boolean {
    if (this.resolvedDelivered(alert, after)) return true;
    const last = this.deliveries.filter((d) => d.alert === alert).at(-1);
    return last?.status === "resolved" && (this.prometheus.get(alert) ?? "inactive") === "inactive";
  }

  /** One poll of all three; polls never overlap, so no transition is reported twice. */
  poll(): Promise<void> {
    this.busy = true;
    this.chain = this.chain.then(async () => {
      await Promise.all([
        // A component may be restarting (native reset); the next poll catches up.
        this.pollPrometheus().catch(() => {}),
        this.pollAlertmanager().catch(() => {}),
        this.pollWebhook().catch(() => {}),
      ]);
      this.busy = false;
    });
    return this.chain;
  }

  private async pollPrometheus(): Promise<void> {
    const body = await getJson<{ data: { alerts: PromAlert[] } }>(`${this.urls.prometheus}/api/v1/alerts`);
    const now = Date.now();
    const current = new Map<string, { state: PromState; activeAt: number }>();
    for (const a of body.data.alerts) {
      const name = a.labels.alertname ?? "?";
      if (BACKGROUND_ALERTS.has(name)) continue;
      const activeAt = Date.parse(a.activeAt);
      const seen = current.get(name);
      if (!seen || RANK[a.state] > RANK[seen.state]) current.set(name, { state: a.state, activeAt });
      else if (a.state === seen.state) seen.activeAt = Math.min(seen.activeAt, activeAt);
    }
    for (const name of new Set([...this.prometheus.keys(), ...current.keys()])) {
      const before = this.prometheus.get(name) ?? "inactive";
      const now_ = current.get(name);
      const after = now_?.state ?? "inactive";
      if (before === after) continue;
      this.prometheus.set(name, after);
      // activeAt is when the condition first held: the exact start of "pending".
      const at = after === "pending" && now_ && now_.activeAt >= this.startedAt ? now_.activeAt : now;
      this.events.push({ at, source: "prometheus", alert: name, text: `${after} in Prometheus` });
    }
  }

  private async pollAlertmanager(): Promise<void> {
    const alerts = await getJson<AmAlert[]>(`${this.urls.alertmanager}/api/v2/alerts`);
    const nameOf = new Map(alerts.map((a) => [a.fingerprint, a.labels.alertname ?? "?"]));
    const current = new Map<string, string[]>();
    for (const a of alerts) {
      if (a.status.state !== "suppressed" || a.status.inhibitedBy.length === 0) continue;
      const name = a.labels.alertname ?? "?";
      const by = a.status.inhibitedBy.map((f) => nameOf.get(f) ?? f);
      current.set(name, [...new Set([...(current.get(name) ?? []), ...by])]);
    }
    const now = Date.now();
    for (const [name, by] of current) {
      if (!this.suppressed.has(name)) {
        this.events.push({
          at: now,
          source: "alertmanager",
          alert: name,
          text: `suppressed by Alertmanager (inhibited by ${by.join(", ")})`,
        });
      }
      this.everSuppressed.set(name, by);
    }
    for (const name of this.suppressed.keys()) {
      if (!current.has(name)) {
        this.events.push({ at: now, source: "alertmanager", alert: name, text: "no longer suppressed" });
      }
    }
    this.suppressed.clear();
    for (const [name, by] of current) this.suppressed.set(name, by);
  }

  private async pollWebhook(): Promise<void> {
    const all = await getJson<Notification[]>(`${this.urls.alertWebhook}/notifications`);
    // The receiver keeps its list; only the new tail is news.
    for (const n of all.slice(this.seenNotifications)) {
      const at = Date.parse(n.receivedAt);
      const byName = new Map<string, boolean>();
      for (const a of n.alerts) {
        const name = a.labels.alertname ?? "?";
        byName.set(name, (byName.get(name) ?? false) || a.status === "firing");
      }
      for (const [alert, firing] of byName) {
        const status = firing ? "firing" : "resolved";
        if (BACKGROUND_ALERTS.has(alert)) {
          this.heartbeats.push({ alert, status, receiver: n.receiver, at });
          continue;
        }
        this.deliveries.push({ alert, status, receiver: n.receiver, at });
        this.events.push({
          at,
          source: "webhook",
          alert,
          text: `${status} notification delivered (receiver ${n.receiver})`,
        });
      }
    }
    this.seenNotifications = all.length;
  }
}

/** Empties the webhook receiver's list, so a drill only sees its own notifications. */
export async function clearNotifications(alertWebhook: string): Promise<void> {
  const response = await fetch(`${alertWebhook}/notifications`, {
    method: "DELETE",
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`DELETE ${alertWebhook}/notifications: HTTP ${response.status}`);
}
