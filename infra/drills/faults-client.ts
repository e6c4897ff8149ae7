/**
 * Client of the service's fault-injection control endpoint (service/src/faults.ts). It only
 * exists when the service runs with FAULTS_ENABLED=true; from another host it needs the
 * FAULTS_TOKEN bearer token (compose). Faults live in each process: with replicas behind a
 * balancer the client sets them on every replica it is given, or one of them is left healthy.
 */
export interface FaultSettings {
  fileReadDelayMs: number;
  cacheDelayMs: number;
  errorRate: number;
  errorResourceTypes: Array<"sdlc" | "patterns" | "templates">;
}

export class FaultsClient {
  private readonly serviceUrls: readonly string[];

  /** `serviceUrls`: every replica's own address (or the one service's). */
  constructor(
    serviceUrls: string | readonly string[],
    private readonly token?: string,
  ) {
    this.serviceUrls = typeof serviceUrls === "string" ? [serviceUrls] : serviceUrls;
    if (this.serviceUrls.length === 0) throw new Error("FaultsClient needs at least one service URL");
  }

  /** The first replica's settings (all of them get the same). */
  get(): Promise<FaultSettings> {
    return this.call(this.serviceUrls[0] as string, "GET");
  }

  set(patch: Partial<FaultSettings>): Promise<FaultSettings> {
    return this.everywhere("PUT", patch);
  }

  clear(): Promise<FaultSettings> {
    return this.everywhere("DELETE");
  }

  private async everywhere(method: string, body?: unknown): Promise<FaultSettings> {
    const settings = await Promise.all(this.serviceUrls.map((url) => this.call(url, method, body)));
    return settings[0] as FaultSettings;
  }

  private async call(serviceUrl: string, method: string, body?: unknown): Promise<FaultSettings> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${serviceUrl}/faults`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (response.status === 404) {
      throw new Error(
        `${serviceUrl}/faults does not exist: start the service with FAULTS_ENABLED=true ` +
          "(compose: FAULTS_ENABLED=true FAULTS_TOKEN=... docker compose up)",
      );
    }
    if (!response.ok) throw new Error(`${method} /faults: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as FaultSettings;
  }
}
