/**
 * k6 cannot run here, so its scripts run on stand-ins for k6's modules: bundled the way k6
 * reads them (TypeScript stripped by esbuild, ES modules, no Node API), the k6/* imports
 * answered by globalThis.__k6, a harness the caller provides. Shared by the in-process test
 * (k6-emulated.test.ts) and the container test of the compose k6 service, whose `k6` is
 * k6-standin/run.mjs driving the bundle.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
// esbuild comes with tsx (it is also what k6 uses to strip TypeScript).
import { build, type Plugin } from "esbuild";

export const K6_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../k6");
/** The runner that stands in for the `k6` binary (`k6 run [-e K=V]... SCRIPT`). */
export const STANDIN_RUNNER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "k6-standin/run.mjs",
);

export const fakeK6: Plugin = {
  name: "fake-k6",
  setup(b) {
    b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: "k6" }));
    b.onLoad({ filter: /.*/, namespace: "k6" }, (args) => {
      const sources: Record<string, string> = {
        k6: `export function check(value, sets, tags) {
               let ok = true;
               for (const name of Object.keys(sets)) {
                 const passed = !!sets[name](value);
                 globalThis.__k6.checks.push({ name, passed, tags });
                 ok = ok && passed;
               }
               return ok;
             }
             export function fail(message) { throw new Error(message); }`,
        "k6/http":
          "export default { get: (url, params) => globalThis.__k6.get(url, params), request: (method, url, body, params) => globalThis.__k6.get(url, params) };",
        "k6/metrics": `class Metric {
               constructor(name, isTime) { this.name = name; this.isTime = isTime; }
               add(value, tags) { globalThis.__k6.samples.push({ metric: this.name, value, tags }); }
             }
             export class Rate extends Metric {}
             export class Trend extends Metric {}`,
      };
      const contents = sources[args.path];
      if (contents === undefined) throw new Error(`unexpected k6 module ${args.path}`);
      return { contents, loader: "js" };
    });
  },
};

/** One k6 script of loadtest/k6 as a self-contained ES module on the stand-in modules. */
export async function bundleK6Script(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [path.join(K6_DIR, entry)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    write: false,
    plugins: [fakeK6],
  });
  return out.outputFiles[0]?.text ?? "";
}
