#!/usr/bin/env node
/**
 * Stands in for the k6 binary where k6 cannot run (its image is not obtainable here), so the
 * compose k6 service's own command can be run in a container: `k6 run [--out O]... [--tag
 * K=V]... [-e K=V]... SCRIPT`. It loads SCRIPT's bundle on stand-in k6 modules (next to this
 * file, `<name>.mjs`, see ../k6-standin.ts), runs setup() and a few iterations against canned
 * answers, calls handleSummary() with end-of-test data, and then does with its result what
 * k6 does: `stdout` is printed, every other key is a file path written as is. Like k6 it does
 * not create directories: a missing one fails the run ("could not open").
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
if (args[0] !== "run") {
  process.stderr.write("k6 stand-in: only `k6 run` is supported\n");
  process.exit(2);
}
// k6 passes the process environment to __ENV, and -e adds to it.
const env = { ...process.env };
const tags = {};
let script;
for (let i = 1; i < args.length; i++) {
  const arg = args[i];
  if (arg === "-e" || arg === "--env") {
    const [key, ...value] = args[++i].split("=");
    env[key] = value.join("=");
  } else if (arg === "--tag") {
    const [key, ...value] = args[++i].split("=");
    tags[key] = value.join("=");
  } else if (arg === "--out" || arg === "-o") {
    i++;
  } else {
    script = arg;
  }
}
if (!script) {
  process.stderr.write("k6 stand-in: no script given\n");
  process.exit(2);
}

function answer(url) {
  const { pathname, searchParams } = new URL(url);
  const resource = (uri) => ({ contents: [{ uri, mimeType: "text/markdown", text: "x" }] });
  let body = { status: "ready" };
  const template = /^\/mcp\/resources\/templates\/(.+)$/.exec(pathname);
  const pattern = /^\/mcp\/resources\/patterns\/(.+)$/.exec(pathname);
  if (pathname === "/mcp/resources/sdlc/core") body = resource("sdlc://core");
  else if (pathname === "/mcp/resources/templates")
    body = { resources: [{ uri: "sdlc://templates/prd", name: "prd" }] };
  else if (template) body = resource(`sdlc://templates/${template[1]}`);
  else if (pattern) body = resource(`sdlc://patterns/${searchParams.get("language")}/${pattern[1]}`);
  else if (pathname === "/mcp") body = { jsonrpc: "2.0", id: 1, result: resource("sdlc://core") };
  return {
    status: 200,
    body: JSON.stringify(body),
    headers: { "X-Cache": "HIT", "Content-Type": "application/json" },
    timings: { duration: 4 },
  };
}

let requests = 0;
globalThis.__ENV = env;
globalThis.__k6 = {
  checks: [],
  samples: [],
  get(url) {
    requests++;
    return answer(url);
  },
};

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, `${path.basename(script).replace(/\.ts$/, "")}.mjs`);
const test = await import(bundle);
process.stdout.write(`k6 stand-in: ${script} testid=${tags.testid ?? test.options?.tags?.testid}\n`);
if (tags.testid && test.options?.tags?.testid !== tags.testid) {
  process.stderr.write(
    `k6 stand-in: --tag testid=${tags.testid} but the script tags ${test.options?.tags?.testid}\n`,
  );
  process.exit(1);
}
test.setup?.();
const iterations = 20;
for (let i = 0; i < iterations; i++) test.default();
const files = test.handleSummary({
  state: { testRunDurationMs: 1_000 },
  metrics: {
    "http_req_duration{workload:mcp}": {
      values: {
        count: requests,
        avg: 4,
        min: 4,
        med: 4,
        max: 4,
        "p(50)": 4,
        "p(90)": 4,
        "p(95)": 4,
        "p(99)": 4,
      },
    },
    "mcp_request_failed{workload:mcp}": { values: { rate: 0, passes: 0, fails: requests } },
  },
  root_group: { checks: [], groups: [] },
});
for (const [target, content] of Object.entries(files)) {
  if (target === "stdout") {
    process.stdout.write(content);
    continue;
  }
  try {
    writeFileSync(target, content);
  } catch (error) {
    process.stderr.write(`could not open '${target}': ${error.message}\n`);
    process.exit(1);
  }
}
