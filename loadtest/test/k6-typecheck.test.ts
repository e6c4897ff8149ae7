import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const k6Dir = path.join(root, "loadtest", "k6");

/**
 * k6 is not installable here, so its scripts are checked statically: type-checked against
 * @types/k6 (with only k6's types and ES2020, like k6's runtime), and their imports limited
 * to k6's modules and the shared, dependency-free workload files.
 */
describe("k6 scripts", () => {
  it("type-check against @types/k6 (npm run check:k6)", async () => {
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const run = promisify(execFile)(
      process.execPath,
      [tsc, "-p", path.join(k6Dir, "tsconfig.json"), "--noEmit"],
      {
        cwd: root,
      },
    );
    await expect(
      run.catch((e: { stdout?: string }) => Promise.reject(new Error(e.stdout ?? String(e)))),
    ).resolves.toBeDefined();
  }, 60_000);

  it("load only k6 modules and relative .ts files under loadtest/ and lib/ (what k6 resolves and compose mounts)", async () => {
    const scripts = readdirSync(k6Dir).filter((f) => f.endsWith(".ts"));
    expect(scripts.sort()).toEqual([
      "full.ts",
      "quick.ts",
      "script.ts",
      "stress.ts",
      "test-definition.ts",
      "warmup.ts",
    ]);
    // The import graph as a bundler sees it, type-only imports gone (k6 strips them too).
    const { metafile } = await build({
      entryPoints: scripts.map((s) => path.join(k6Dir, s)),
      bundle: true,
      write: false,
      outdir: "out",
      format: "esm",
      platform: "neutral",
      metafile: true,
      external: ["k6", "k6/*"],
    });
    const files = Object.keys(metafile.inputs);
    expect(files).toEqual(expect.arrayContaining(["lib/workload/plan.ts", "lib/contract/resource-kinds.ts"]));
    for (const [file, input] of Object.entries(metafile.inputs)) {
      expect(file, "k6 reads TypeScript sources under the mounted folders").toMatch(
        /^(loadtest|lib)\/.+\.ts$/,
      );
      for (const imported of input.imports) {
        const spec = imported.original ?? imported.path;
        if (imported.external) expect(spec, `${file} imports ${spec}`).toMatch(/^k6(\/[a-z/-]+)?$/);
        else expect(spec, `${file} imports ${spec}: k6 needs the file's own name`).toMatch(/^\.\.?\/.+\.ts$/);
      }
    }
  });

  it("entry scripts export what k6 needs: options, setup, default, handleSummary", () => {
    for (const [script, profile] of [
      ["script.ts", '__ENV.PROFILE || "quick"'],
      ["full.ts", '"full"'],
      ["quick.ts", '"quick"'],
      ["stress.ts", '"stress"'],
      ["warmup.ts", '"warmup"'],
    ]) {
      const source = readFileSync(path.join(k6Dir, script as string), "utf8");
      expect(source, script).toContain(`buildTest(${profile})`);
      for (const name of ["options", "setup", "handleSummary"]) {
        expect(source, script).toMatch(new RegExp(`export const ${name} = test\\.${name};`));
      }
      expect(source, script).toMatch(/export default test\.iteration;/);
    }
    const lib = readFileSync(path.join(k6Dir, "test-definition.ts"), "utf8");
    expect(lib).toMatch(/\/readyz/);
    expect(lib).toMatch(/executor: "ramping-vus"/);
  });
});
