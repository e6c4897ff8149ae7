/** The URL a load test may hit: only this machine, or the compose service by name. k6 loads it. */

export interface ParsedBaseUrl {
  readonly protocol: "http" | "https";
  readonly host: string;
  readonly port: number;
  /** Normalised: scheme://host:port, no trailing slash. */
  readonly origin: string;
}

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && [m[1], m[2], m[3]].every((o) => Number(o) <= 255);
}

/**
 * Parses BASE_URL and refuses any host that is not loopback (127.0.0.0/8, ::1, localhost),
 * unless it is named in `extraAllowedHosts` (the compose stack's service name, for k6 in a
 * container). Written without the URL class, which k6's runtime does not have.
 */
export function parseBaseUrl(raw: string, extraAllowedHosts: readonly string[] = []): ParsedBaseUrl {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(raw.trim());
  if (!m) {
    throw new Error(`BASE_URL "${raw}" is not of the form http://HOST[:PORT] (no path, no query)`);
  }
  const protocol = m[1] as "http" | "https";
  const host = (m[2] as string).toLowerCase();
  const port = m[3] ? Number(m[3]) : protocol === "https" ? 443 : 80;
  if (port < 1 || port > 65535) throw new Error(`BASE_URL "${raw}" has an invalid port`);
  if (!isLoopbackHost(host) && extraAllowedHosts.map((h) => h.toLowerCase()).indexOf(host) < 0) {
    throw new Error(
      `refusing to load-test ${host}: load is only ever sent to this machine ` +
        "(127.0.0.0/8, ::1 or localhost). Point BASE_URL at a local service, e.g. http://127.0.0.1:8000",
    );
  }
  return { protocol, host, port, origin: `${protocol}://${host}:${port}` };
}
