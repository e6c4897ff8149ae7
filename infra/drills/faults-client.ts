/**
 * Client of the service's fault-injection control endpoint (service/src/faults.ts). It only
 * exists when the service runs with FAULTS_ENABLED=true; from another host it needs the
 * FAULTS_TOKEN bearer token (compose).
 */
export interface FaultSettings {
  fileReadDelayMs: number;
  cacheDelayMs: number;
  errorRate: number;
  errorResourceTypes: Array<"sdlc" | "patterns" | "templates">;
}

export class FaultsClient {
  constructor(
    private readonly serviceUrl: string,
    private readonly token?: string,
  ) {}

  get(): Promise<FaultSettings> {
    return this.call("GET");
  }

  set(patch: Partial<FaultSettings>): Promise<FaultSettings> {
    return this.call("PUT", patch);
  }

  clear(): Promise<FaultSettings> {
    return this.call("DELETE");
  }

  private async call(method: string, body?: unknown): Promise<FaultSettings> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.serviceUrl}/faults`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (response.status === 404) {
      throw new Error(
        `${this.serviceUrl}/faults does not exist: start the service with FAULTS_ENABLED=true ` +
          "(compose: FAULTS_ENABLED=true FAULTS_TOKEN=... docker compose up)",
      );
    }
    if (!response.ok) throw new Error(`${method} /faults: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as FaultSettings;
  }
}
