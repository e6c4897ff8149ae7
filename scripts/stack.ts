/**
 * `npm run stack` / `task stack`: the whole stack until Ctrl-C. With a Docker engine it is
 * `docker compose up --build`; without one, the native twin from local binaries on the
 * contract's ports (override with STACK_SERVICE_PORT, STACK_REDIS_PORT, STACK_PROMETHEUS_PORT,
 * STACK_ALERTMANAGER_PORT, STACK_REDIS_EXPORTER_PORT, STACK_ALERT_WEBHOOK_PORT,
 * STACK_HAPROXY_METRICS_PORT; 0 = free). SERVICE_REPLICAS (1-10, default 2) replicas run behind
 * HAProxy on the service port; REDIS_TOPOLOGY=sentinel runs Redis as a master, two replicas and
 * three sentinels behind HAProxy's Redis frontend.
 */
import { spawn } from "node:child_process";
import { defaultComposeEnvFile } from "../lib/harness/stack/containers.js";
import { chooseProvider } from "../lib/harness/stack/index.js";
import { startNativeStack } from "../lib/harness/stack/native.js";
import { STACK_PORT_VARIABLES, type StackPorts, type StackUrls } from "../lib/harness/stack/types.js";
import { REPO_ROOT } from "../lib/repo.js";

export function portsFromEnv(env: NodeJS.ProcessEnv): Partial<StackPorts> {
  const ports: Partial<StackPorts> = {};
  for (const [key, variable] of Object.entries(STACK_PORT_VARIABLES) as Array<[keyof StackPorts, string]>) {
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`${variable}=${raw}: must be a port number (0 picks a free one)`);
    }
    ports[key] = port;
  }
  return ports;
}

function describe(urls: StackUrls): string {
  const rows: Array<[string, string | undefined, string]> = [
    ["service", urls.service, "the balancer (HAProxy): resources, /readyz"],
    ...urls.serviceReplicas.map((url, i): [string, string, string] => [
      `  replica ${i}`,
      url,
      "one replica: its own /metrics, /readyz",
    ]),
    ["haproxy", urls.balancerMetrics, "the balancer's metrics (/stats on the same port)"],
    ["prometheus", urls.prometheus, "/alerts for alert states, /targets for scrape health"],
    ["alertmanager", urls.alertmanager, "active and silenced notifications"],
    ["alert webhook", urls.alertWebhook && `${urls.alertWebhook}/notifications`, "what Alertmanager sent"],
    ["redis exporter", urls.redisExporter && `${urls.redisExporter}/metrics`, "Redis metrics"],
    ["redis", urls.redis, "the cache (Sentinel topology: HAProxy's frontend to the master)"],
    ["jaeger", urls.jaeger && `${urls.jaeger}/api/traces?service=mcp-resource-service`, "traces (query API)"],
    ["grafana", urls.grafana, "dashboards (compose only)"],
  ];
  return rows
    .filter(([, url]) => url)
    .map(([name, url, what]) => `  ${name.padEnd(15)} ${String(url).padEnd(42)} ${what}`)
    .join("\n");
}

async function runCompose(): Promise<number> {
  // The offline images when `task images:offline` built them (no registry needed), else .env's.
  const envFile = defaultComposeEnvFile();
  process.stdout.write(`docker compose --env-file ${envFile} up --build (Ctrl-C stops it)\n`);
  const child = spawn("docker", ["compose", "--env-file", envFile, "up", "--build"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  return await new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

async function runNative(): Promise<number> {
  // SERVICE_REPLICAS and REDIS_TOPOLOGY are read (and checked) by the stack itself.
  const stack = await startNativeStack({ ports: portsFromEnv(process.env) });
  process.stdout.write(
    `\nnative stack is up: ${stack.replicas} service replica(s), Redis ${stack.redisTopology}` +
      ` (logs in .stack/logs); Ctrl-C stops it\n${describe(stack.urls)}\n` +
      (stack.sentinelUrls.length ? `  sentinels       ${stack.sentinelUrls.join(" ")}\n` : "") +
      "  Grafana is not obtainable as a native binary here; its dashboards run under compose.\n\n",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stdout.write("stopping the native stack...\n");
  await stack.stop();
  process.stdout.write("stopped\n");
  return 0;
}

const provider = await chooseProvider();
process.stdout.write(`stack provider: ${provider}\n`);
process.exitCode = provider === "containers" ? await runCompose() : await runNative();
