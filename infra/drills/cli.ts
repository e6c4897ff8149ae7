/**
 * `npm run drill -- <drill...|all> [options]` / `task drill:<name>`: runbook drills with
 * fault injection, each proven end to end at the Alertmanager webhook.
 *
 *   Without URLs: starts a stack of its own (free ports, FAULTS_ENABLED, time-scaled rules),
 *   runs the drills, stops it: natively, or from docker-compose.yml with --provider containers.
 *   Against a running stack (compose: FAULTS_ENABLED=true FAULTS_TOKEN=... docker compose up):
 *     --base-url http://127.0.0.1:8000 [--prometheus-url ...:9090] [--alertmanager-url ...:9093]
 *     [--webhook-url ...:5001] [--faults-token T (or FAULTS_TOKEN)] [--redis-url redis://...]
 *     [--compose-dir DIR]   (its Prometheus runs the production rules: drills take minutes)
 *     [--redis-topology single|sentinel]  (sentinel: started with docker-compose.sentinel.yml)
 *   Without URLs, drills that need the Sentinel topology (redis-failover) get a second stack.
 *   --rate N        background load, requests/s (default 40)
 *   --report-dir D  Markdown reports (default perf-results/drills)
 *
 * Exit status: 0 when every drill passed, 1 when one failed, 2 on a usage error.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { REDIS_TOPOLOGIES, type RedisTopology } from "../../lib/contract/stack.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { DRILL_NAMES, type DrillName, isDrillName } from "./drill.js";
import { type DrillStack, externalDrillStack } from "./drill-stack.js";
import { timelineText, writeReports } from "./report.js";
import { runSession } from "./session.js";

const isRedisTopology = (value: string): value is RedisTopology =>
  (REDIS_TOPOLOGIES as readonly string[]).includes(value);

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run drill -- <${DRILL_NAMES.join("|")}|all>... [options]\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "base-url": { type: "string" },
    "prometheus-url": { type: "string", default: "http://127.0.0.1:9090" },
    "alertmanager-url": { type: "string", default: "http://127.0.0.1:9093" },
    "webhook-url": { type: "string", default: "http://127.0.0.1:5001" },
    "faults-token": { type: "string" },
    "redis-url": { type: "string" },
    "compose-dir": { type: "string" },
    "redis-topology": { type: "string", default: "single" },
    provider: { type: "string", default: "native" },
    rate: { type: "string", default: "40" },
    "report-dir": { type: "string", default: path.join(REPO_ROOT, "perf-results/drills") },
  },
});

const names: DrillName[] = [];
for (const arg of positionals.length ? positionals : ["all"]) {
  if (arg === "all") names.push(...DRILL_NAMES);
  else if (isDrillName(arg)) names.push(arg);
  else usage(`unknown drill "${arg}"`);
}
const provider = values.provider;
if (provider !== "native" && provider !== "containers") usage(`--provider ${provider}: native or containers`);
const redisTopology = values["redis-topology"];
if (!isRedisTopology(redisTopology))
  usage(`--redis-topology ${redisTopology}: ${REDIS_TOPOLOGIES.join(" or ")}`);
const rate = Number(values.rate);
if (!(rate > 0 && rate <= 500)) usage(`--rate ${values.rate}: between 1 and 500 requests/s`);

let target: DrillStack | undefined;
if (values["base-url"]) {
  target = await externalDrillStack({
    urls: {
      service: values["base-url"].replace(/\/$/, ""),
      prometheus: values["prometheus-url"],
      alertmanager: values["alertmanager-url"],
      alertWebhook: values["webhook-url"],
    },
    faultsToken: values["faults-token"] ?? process.env.FAULTS_TOKEN,
    ...(values["redis-url"] ? { redisUrl: values["redis-url"] } : {}),
    ...(values["compose-dir"] ? { composeDir: values["compose-dir"] } : {}),
    redisTopology,
  });
}

const startedAt = new Date();
const results = await runSession(names, {
  ...(target ? { target } : {}),
  provider,
  rate,
  log: (line) => process.stdout.write(`${line}\n`),
  onResult: (r) =>
    process.stdout.write(
      `\n${r.name}: ${r.passed ? "PASSED" : "FAILED"} in ${(r.durationMs / 1000).toFixed(1)} s\n${timelineText(r)}\n` +
        r.failures.map((f) => `  FAILURE: ${f}\n`).join("") +
        r.notes.map((n) => `  note: ${n}\n`).join("") +
        "\n",
    ),
});
await target?.close();
const summary = await writeReports(values["report-dir"], results, startedAt);
const failed = results.filter((r) => !r.passed).map((r) => r.name);
process.stdout.write(
  `${results.length - failed.length} of ${results.length} drills passed${failed.length ? ` (failed: ${failed.join(", ")})` : ""}; reports: ${path.relative(process.cwd(), summary)}\n`,
);
process.exitCode = failed.length ? 1 : 0;
