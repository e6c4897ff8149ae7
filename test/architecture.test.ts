/**
 * The layout is a checked rule (.dependency-cruiser.cjs, `npm run check:arch`): the tree as it
 * is passes, and each rule bites on a small tree planted with the violation it forbids.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/repo.js";

const run = promisify(execFile);
const DEPCRUISE = path.join(REPO_ROOT, "node_modules/.bin/depcruise");
const CONFIG = path.join(REPO_ROOT, ".dependency-cruiser.cjs");

async function cruise(cwd: string, folders: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(DEPCRUISE, [...folders, "--config", CONFIG], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("the architecture rules", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("hold for the repository", async () => {
    const { code, output } = await cruise(REPO_ROOT, [
      "lib",
      "service",
      "infra",
      "loadtest",
      "scripts",
      "test",
    ]);
    expect(output).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  }, 120_000);

  /** A file per path, each importing the paths given (relative imports, .js as the repo writes them). */
  async function plant(files: Record<string, string[]>): Promise<string> {
    const root = await mkdtemp(path.join(tmpdir(), "arch-"));
    await writeFile(
      path.join(root, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
    );
    for (const [file, imports] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      const lines = imports.map((target, i) => {
        let spec = path.relative(path.dirname(file), target).replace(/\.ts$/, ".js");
        if (!spec.startsWith(".")) spec = `./${spec}`;
        return `import { v${i} } from "${spec}";\nexport const u${i} = v${i};`;
      });
      await writeFile(path.join(root, file), `${lines.join("\n")}\nexport const v0 = 1;\n`);
    }
    return root;
  }

  it.each([
    ["no-circular", { "infra/src/a.ts": ["infra/src/b.ts"], "infra/src/b.ts": ["infra/src/a.ts"] }],
    [
      "production-imports-no-test",
      { "loadtest/src/tool.ts": ["test/support/helper.ts"], "test/support/helper.ts": [] },
    ],
    [
      "service-imports-only-the-contract",
      { "service/src/app.ts": ["lib/harness/ports.ts"], "lib/harness/ports.ts": [] },
    ],
    [
      "lib-imports-no-top-level-folder",
      { "lib/harness/x.ts": ["infra/src/rules.ts"], "infra/src/rules.ts": [] },
    ],
    [
      "contract-imports-only-the-contract",
      { "lib/contract/a.ts": ["lib/harness/b.ts"], "lib/harness/b.ts": [] },
    ],
    [
      "only-lib-across-top-level-folders",
      { "scripts/tool.ts": ["loadtest/src/engine.ts"], "loadtest/src/engine.ts": [] },
    ],
  ])(
    "%s bites on a planted violation",
    async (rule, files) => {
      dir = await plant(files);
      const folders = [...new Set(Object.keys(files).map((f) => f.split("/")[0] as string))];
      const { code, output } = await cruise(dir, folders);
      expect(output).toContain(rule);
      expect(code).not.toBe(0);
      await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
    60_000,
  );
});

/**
 * Small modules with one job each: no source file much over 400 lines. Declarative data (the
 * dashboard's panel list, the alerts' promtool scenarios) is the exception; it reads as a table.
 */
const MAX_LINES = 440;
const DECLARATIVE_DATA = new Set([
  "infra/src/dashboards/resource-loading.ts",
  "infra/src/rule-tests/alert-scenarios.ts",
]);

describe("module size", () => {
  it(`keeps every source file under ${MAX_LINES} lines, but declarative data`, async () => {
    const { stdout } = await run("git", ["ls-files", "*.ts", "*.mjs", "*.cjs", "*.sh"], { cwd: REPO_ROOT });
    const tooLong: string[] = [];
    for (const file of stdout.split("\n").filter(Boolean)) {
      if (DECLARATIVE_DATA.has(file)) continue;
      const lines = (await readFile(path.join(REPO_ROOT, file), "utf8")).split("\n").length;
      if (lines > MAX_LINES) tooLong.push(`${file}: ${lines}`);
    }
    expect(tooLong).toEqual([]);
  });

  it("lists as data only files that exist", async () => {
    for (const file of DECLARATIVE_DATA)
      await expect(readFile(path.join(REPO_ROOT, file), "utf8")).resolves.toBeTruthy();
  });
});
