/** Minimal clients for the Prometheus and Alertmanager HTTP APIs used by tests and drills. */

export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  /** NaN and ±Inf arrive as strings from the API and are parsed to numbers. */
  readonly value: number;
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${init?.method ?? "GET"} ${url}: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

interface ApiEnvelope<T> {
  status: "success" | "error";
  data: T;
  error?: string;
}

async function api<T>(baseUrl: string, pathAndQuery: string): Promise<T> {
  const body = await getJson<ApiEnvelope<T>>(`${baseUrl}${pathAndQuery}`);
  if (body.status !== "success") throw new Error(`${pathAndQuery}: ${body.error}`);
  return body.data;
}

/** Instant query; throws unless the result is a vector. */
export async function instantQuery(baseUrl: string, expr: string): Promise<Sample[]> {
  const data = await api<{
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  }>(baseUrl, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (data.resultType !== "vector") throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
  return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

export interface ActiveTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly health: "up" | "down" | "unknown";
  readonly lastError: string;
  readonly scrapeUrl: string;
}

export async function activeTargets(baseUrl: string): Promise<ActiveTarget[]> {
  const data = await api<{ activeTargets: ActiveTarget[] }>(baseUrl, "/api/v1/targets?state=active");
  return data.activeTargets;
}

export interface RuleStatus {
  readonly name: string;
  readonly type: "recording" | "alerting";
  readonly health: "ok" | "err" | "unknown";
  readonly lastError?: string;
  readonly state?: "inactive" | "pending" | "firing";
}

export async function ruleStatuses(baseUrl: string): Promise<RuleStatus[]> {
  const data = await api<{ groups: { rules: RuleStatus[] }[] }>(baseUrl, "/api/v1/rules");
  return data.groups.flatMap((g) => g.rules);
}

export interface PrometheusAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: "pending" | "firing";
  readonly activeAt: string;
}

/** Alerts Prometheus holds pending or firing (GET /api/v1/alerts). */
export async function prometheusAlerts(baseUrl: string): Promise<PrometheusAlert[]> {
  const data = await api<{ alerts: PrometheusAlert[] }>(baseUrl, "/api/v1/alerts");
  return data.alerts;
}

export async function activeAlertmanagers(baseUrl: string): Promise<string[]> {
  const data = await api<{ activeAlertmanagers: { url: string }[] }>(baseUrl, "/api/v1/alertmanagers");
  return data.activeAlertmanagers.map((a) => a.url);
}

export interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly status: {
    state: "active" | "suppressed" | "unprocessed";
    inhibitedBy: string[];
    silencedBy: string[];
  };
  readonly fingerprint: string;
}

/** POSTs alerts to Alertmanager's v2 API the way Prometheus does. */
export async function postAlerts(
  amUrl: string,
  alerts: readonly { labels: Record<string, string>; annotations?: Record<string, string> }[],
): Promise<void> {
  const response = await fetch(`${amUrl}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(alerts.map((a) => ({ ...a, startsAt: new Date().toISOString() }))),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`POST /api/v2/alerts: HTTP ${response.status} ${await response.text()}`);
}

export async function alertmanagerAlerts(amUrl: string): Promise<AlertmanagerAlert[]> {
  return await getJson<AlertmanagerAlert[]>(`${amUrl}/api/v2/alerts`);
}
