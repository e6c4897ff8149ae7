/**
 * Whether a drill passed, from what the observer saw. Pure, so the rules of the verdict are
 * tested without a stack (test/drills/verdict.test.ts).
 */
import type { Drill } from "./drill.js";
import type { Delivery } from "./observer.js";
import { BACKGROUND_ALERTS } from "./observer.js";

export interface VerdictInput {
  readonly drill: Pick<Drill, "expect" | "inhibited" | "allowed">;
  /** Alerts already pending or firing when the fault was injected: not the drill's doing. */
  readonly preexisting: ReadonlySet<string>;
  readonly deliveries: readonly Delivery[];
  /** Alert -> the alerts Alertmanager was seen inhibiting it with. */
  readonly everSuppressed: ReadonlyMap<string, readonly string[]>;
  /** Epoch ms the fault was removed; 0 when the drill never got that far. */
  readonly restoredAt: number;
  /** Alert -> severity, which is also the receiver it must reach. */
  readonly severities: ReadonlyMap<string, string>;
}

export interface Verdict {
  readonly failures: string[];
  readonly notes: string[];
}

export function judge(input: VerdictInput): Verdict {
  const { drill, deliveries } = input;
  const failures: string[] = [];
  const notes: string[] = [];
  const restoredAt = input.restoredAt || Number.POSITIVE_INFINITY;
  const firing = (alert: string) => deliveries.filter((d) => d.alert === alert && d.status === "firing");

  for (const alert of drill.expect) {
    const first = firing(alert)[0];
    if (!first) {
      failures.push(`${alert} was never delivered firing to the webhook`);
      continue;
    }
    const severity = input.severities.get(alert);
    if (severity && first.receiver !== severity) {
      failures.push(`${alert} reached receiver "${first.receiver}", its severity routes it to "${severity}"`);
    }
    if (!deliveries.some((d) => d.alert === alert && d.status === "resolved" && d.at >= first.at)) {
      failures.push(`${alert} fired but its resolution was never delivered`);
    }
  }

  for (const { alert, by } of drill.inhibited ?? []) {
    const inhibitors = input.everSuppressed.get(alert);
    if (!inhibitors?.includes(by)) {
      failures.push(
        inhibitors
          ? `${alert} was suppressed by ${inhibitors.join(", ")}, not by ${by}`
          : `${alert} was never seen firing and suppressed by ${by} (inhibition not exercised)`,
      );
    }
    const early = firing(alert).filter((d) => d.at < restoredAt);
    if (early.length)
      failures.push(`${alert} was delivered while the fault lasted: ${by} did not inhibit it`);
    else if (firing(alert).length) {
      notes.push(`${alert} was delivered after the fault was removed, once ${by} had resolved`);
    }
  }

  const known = new Set([
    ...drill.expect,
    ...(drill.inhibited ?? []).map((i) => i.alert),
    ...(drill.allowed ?? []).map((a) => a.alert),
  ]);
  const unexpected = new Set<string>();
  for (const d of deliveries) {
    if (d.status !== "firing" || known.has(d.alert) || BACKGROUND_ALERTS.has(d.alert)) continue;
    if (input.preexisting.has(d.alert)) continue;
    unexpected.add(d.alert);
  }
  for (const alert of unexpected) failures.push(`unexpected alert delivered: ${alert}`);

  const declared = new Set((drill.inhibited ?? []).map((i) => i.alert));
  for (const [alert, by] of input.everSuppressed) {
    if (!declared.has(alert))
      notes.push(`${alert} fired and Alertmanager inhibited it (by ${by.join(", ")})`);
  }
  for (const { alert, why } of drill.allowed ?? []) {
    if (firing(alert).length) notes.push(`${alert} fired too (allowed: ${why})`);
  }
  for (const alert of input.preexisting) {
    if (!BACKGROUND_ALERTS.has(alert)) notes.push(`${alert} was already active before the fault`);
  }
  return { failures, notes };
}
