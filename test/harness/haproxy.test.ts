import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_BACKENDS } from "../../lib/contract/stack.js";
import { rewriteHaproxyConfig } from "../../lib/harness/config-rewrite.js";
import {
  backendActiveServers,
  checkHaproxyConfig,
  HAPROXY_CONFIG,
  HAPROXY_REDIS_CONFIG,
  type HaproxyProcess,
  serverStates,
  startHaproxy,
  waitForBackend,
  waitForServer,
} from "../../lib/harness/haproxy.js";
import { getFreePort, waitFor } from "../../lib/harness/ports.js";

/**
 * The real haproxy with the project's configs rewritten for loopback, in front of tiny
 * stand-in replicas (own processes, so they can be SIGKILLed): routing, health checks on
 * /readyz, and retries that hide a replica going away from GETs.
 */

/** A replica stand-in: answers its name; /readyz 200 until POST /not-ready. */
const REPLICA_SOURCE = `
const http = require("node:http");
let ready = true;
http.createServer((req, res) => {
  if (req.method === "POST" && req.url === "/not-ready") { ready = false; res.end("ok"); return; }
  if (req.url === "/readyz") { res.statusCode = ready ? 200 : 503; res.end(ready ? "ready" : "draining"); return; }
  if (req.url === "/unavailable") { res.statusCode = 503; res.end(process.env.NAME); return; }
  res.end(process.env.NAME);
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
`;

interface Replica {
  readonly name: string;
  readonly address: string;
  readonly child: ChildProcess;
}

async function startReplica(name: string): Promise<Replica> {
  const port = await getFreePort();
  const child = spawn(process.execPath, ["-e", REPLICA_SOURCE], {
    env: { ...process.env, PORT: String(port), NAME: name },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`replica ${name} exited (${code})`)));
  });
  return { name, address: `127.0.0.1:${port}`, child };
}

async function killReplica(replica: Replica): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const gone = new Promise((resolve) => replica.child.once("exit", resolve));
  replica.child.kill("SIGKILL");
  await gone;
}

/** GETs `url` from `workers` loops until stopped; counts answers per body and failures. */
function steadyLoad(url: string, workers = 2) {
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        const body = await response.text();
        if (response.status !== 200) failures.push(`HTTP ${response.status} ${body.slice(0, 100)}`);
        else seen.set(body, (seen.get(body) ?? 0) + 1);
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  return {
    seen,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe("haproxy config", () => {
  it("the compose form is valid (its Docker names need not resolve here)", async () => {
    const check = await checkHaproxyConfig([HAPROXY_CONFIG, HAPROXY_REDIS_CONFIG]);
    expect(check.ok, check.output).toBe(true);
  });

  it("the loopback rewrite is valid and keeps no compose name, resolver or init-addr", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "haproxy-cfg-"));
    try {
      const rewrite = {
        binds: { 8000: 20001, 8404: 20002, 6379: 20003 },
        templateServers: ["127.0.0.1:20011", "127.0.0.1:20012", "127.0.0.1:20013"],
        servers: {
          redis: "127.0.0.1:20021",
          "redis-replica-1": "127.0.0.1:20022",
          "redis-replica-2": "127.0.0.1:20023",
        },
      };
      const files = [];
      for (const source of [HAPROXY_CONFIG, HAPROXY_REDIS_CONFIG]) {
        const file = path.join(dir, path.basename(source));
        await writeFile(file, rewriteHaproxyConfig(await readFile(source, "utf8"), rewrite));
        files.push(file);
      }
      const check = await checkHaproxyConfig(files);
      expect(check.ok, check.output).toBe(true);
      expect(check.output).not.toMatch(/could not resolve/);
      const text = (await Promise.all(files.map((f) => readFile(f, "utf8"))))
        .join("\n")
        .split("\n")
        .filter((line) => !line.trim().startsWith("#"))
        .join("\n");
      expect(text).not.toMatch(/resolvers|init-addr|server-template|mcp-resource-service:8000|\bbind :/);
      expect(text).toContain("bind 127.0.0.1:20001");
      expect(text).toContain("bind 127.0.0.1:20003");
      // The template's health-check defaults stay; each replica is a server of its own.
      expect(text).toMatch(/default-server check inter 1s fall 2 rise 2\n/);
      expect(text).toContain("server replica-3 127.0.0.1:20013\n");
      expect(text).toMatch(/server redis-replica-2 127\.0\.0\.1:20023\n/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bind or a server it has no loopback address for", async () => {
    const text = await readFile(HAPROXY_REDIS_CONFIG, "utf8");
    expect(() =>
      rewriteHaproxyConfig(text, { binds: { 6379: 1 }, servers: { redis: "127.0.0.1:2" } }),
    ).toThrow(/redis-replica-1/);
    expect(() => rewriteHaproxyConfig(text, { binds: {}, servers: {} })).toThrow(/bind :6379/);
  });
});

describe("haproxy in front of replicas", () => {
  let replicas: Replica[] = [];
  let haproxy: HaproxyProcess;

  beforeAll(async () => {
    replicas = await Promise.all(["a", "b", "c"].map(startReplica));
    haproxy = await startHaproxy({ replicas: replicas.map((r) => r.address) });
    await waitForBackend(haproxy.metricsUrl, HAPROXY_BACKENDS.service, 3);
  }, 30_000);

  afterAll(async () => {
    await haproxy?.stop();
    await Promise.all(replicas.map(killReplica));
  });

  it("routes requests to every replica and reports each server UP", async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 9; i++) bodies.add(await (await fetch(`${haproxy.url}/`)).text());
    expect([...bodies].sort()).toEqual(["a", "b", "c"]);
    expect((await backendActiveServers(haproxy.metricsUrl))[HAPROXY_BACKENDS.service]).toBe(3);
    const states = (await serverStates(haproxy.metricsUrl)).filter(
      (s) => s.backend === HAPROXY_BACKENDS.service,
    );
    expect(states).toEqual(
      ["replica-1", "replica-2", "replica-3"].map((server) => ({
        backend: HAPROXY_BACKENDS.service,
        server,
        state: "UP",
      })),
    );
  });

  it("passes a replica's own 503 on to the user: an answer, not a failure to answer, so not retried", async () => {
    // Retrying it elsewhere would hide the errors users are meant to see (and the availability
    // SLO, counted at the replicas, would page for failures nobody received).
    for (let i = 0; i < replicas.length; i++) {
      const response = await fetch(`${haproxy.url}/unavailable`);
      await response.text();
      expect(response.status).toBe(503);
    }
    const retries = await fetch(haproxy.metricsUrl).then((r) => r.text());
    const line = retries
      .split("\n")
      .find(
        (l) =>
          l.startsWith("haproxy_backend_retry_warnings_total") &&
          l.includes(`proxy="${HAPROXY_BACKENDS.service}"`),
      );
    expect(line, retries.slice(0, 500)).toMatch(/ 0$/);
  });

  it("takes a replica whose /readyz answers 503 out within 3 s, and GETs keep succeeding", async () => {
    const load = steadyLoad(`${haproxy.url}/`);
    const [first] = replicas;
    if (!first) throw new Error("no replica");
    const since = Date.now();
    await fetch(`http://${first.address}/not-ready`, { method: "POST" });
    await waitForServer(haproxy.metricsUrl, HAPROXY_BACKENDS.service, "replica-1", {
      state: "DOWN",
      timeoutMs: 3_500,
    });
    const tookMs = Date.now() - since;
    load.seen.clear();
    await new Promise((r) => setTimeout(r, 500));
    await load.stop();
    expect(load.failures, haproxy.output()).toEqual([]);
    expect(tookMs).toBeLessThan(3_500);
    // Once out, it gets nothing.
    expect(load.seen.has("a")).toBe(false);
    expect(load.seen.size).toBe(2);
  }, 20_000);

  it("hides a SIGKILLed replica from GETs under a steady load (retries, redispatch)", async () => {
    const load = steadyLoad(`${haproxy.url}/`, 3);
    await new Promise((r) => setTimeout(r, 500));
    const second = replicas[1];
    if (!second) throw new Error("no replica");
    await killReplica(second);
    await waitForServer(haproxy.metricsUrl, HAPROXY_BACKENDS.service, "replica-2", {
      state: "DOWN",
      timeoutMs: 5_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    await load.stop();
    expect(load.failures, haproxy.output()).toEqual([]);
    expect([...load.seen.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    // Only "c" is left ready ("a" answers 503 on /readyz since the previous case).
    await waitFor(
      "backend with one server",
      async () => (await backendActiveServers(haproxy.metricsUrl))[HAPROXY_BACKENDS.service] === 1,
    );
  }, 20_000);

  it("stops softly and starts again on the same ports", async () => {
    await haproxy.stop();
    await expect(fetch(`${haproxy.url}/`)).rejects.toThrow();
    await haproxy.start();
    await waitForServer(haproxy.metricsUrl, HAPROXY_BACKENDS.service, "replica-3");
    expect(await (await fetch(`${haproxy.url}/`)).text()).toBe("c");
  }, 20_000);
});
