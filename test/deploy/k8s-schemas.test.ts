import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/repo.js";
import { run } from "../support/exec.js";

/**
 * scripts/install/k8s_schemas.py on a miniature of the kubernetes-validate layout: every kind
 * file comes out self-contained (the definitions it reaches, references made local), which is
 * what lets kubeconform read the real schemas offline (test/deploy/helm.test.ts).
 */
const SCRIPT = path.join(REPO_ROOT, "scripts/install/k8s_schemas.py");
const VERSION = "9.9.0";
const SHARED = "/api/_definitions.json#/$defs/";

const definitions = {
  $defs: {
    // A recursive definition (like JSONSchemaProps) must stay a reference, not expand forever.
    "io.example.Tree": {
      type: "object",
      properties: { children: { type: "array", items: { $ref: "#/$defs/io.example.Tree" } } },
    },
    "io.example.WidgetSpec": {
      type: "object",
      properties: { tree: { $ref: "#/$defs/io.example.Tree" } },
      additionalProperties: false,
    },
    "io.example.Unused": { type: "string" },
  },
};

const widget = {
  $id: "https://kubernetes.io/api/widget/example/v1",
  type: "object",
  properties: { spec: { $ref: `${SHARED}io.example.WidgetSpec` } },
  "x-kubernetes-group-version-kind": [{ group: "example.k8s.io", kind: "Widget", version: "v1" }],
};

const coreThing = {
  type: "object",
  properties: { data: { type: "string" } },
  "x-kubernetes-group-version-kind": [{ group: "", kind: "Thing", version: "v1" }],
};

/** Not a kind: kubeconform never looks it up. */
const widgetSpecFile = { $ref: `${SHARED}io.example.WidgetSpec` };

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function fixture(defs: object): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "k8s-schemas-"));
  dirs.push(root);
  for (const flavour of ["local", "local-strict"]) {
    const dir = path.join(root, `v${VERSION}-${flavour}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "_definitions.json"), JSON.stringify(defs));
    await writeFile(path.join(dir, "widget-example-v1.json"), JSON.stringify(widget));
    await writeFile(path.join(dir, "thing-v1.json"), JSON.stringify(coreThing));
    await writeFile(path.join(dir, "widgetspec-example-v1.json"), JSON.stringify(widgetSpecFile));
  }
  return root;
}

describe("k8s_schemas.py", () => {
  let out: string;
  beforeAll(async () => {
    const source = await fixture(definitions);
    out = path.join(source, "out");
    const result = await run("python3", [SCRIPT, source, VERSION, out]);
    expect(result.code, result.stderr).toBe(0);
  });

  it("writes one file per kind in kubeconform's layout, both flavours, and nothing else", async () => {
    for (const flavour of ["standalone", "standalone-strict"])
      expect((await readdir(path.join(out, `v${VERSION}-${flavour}`))).sort()).toEqual([
        "thing-v1.json",
        "widget-example-v1.json",
      ]);
  });

  it("copies in exactly the definitions a kind reaches, with local references and no remote $id", async () => {
    const text = await readFile(
      path.join(out, `v${VERSION}-standalone-strict/widget-example-v1.json`),
      "utf8",
    );
    const schema = JSON.parse(text);
    expect(Object.keys(schema.$defs).sort()).toEqual(["io.example.Tree", "io.example.WidgetSpec"]);
    expect(schema.properties.spec.$ref).toBe("#/$defs/io.example.WidgetSpec");
    expect(schema.$defs["io.example.Tree"].properties.children.items.$ref).toBe("#/$defs/io.example.Tree");
    expect(schema.$id).toBeUndefined();
    expect(text).not.toContain("_definitions.json");
  });

  it("fails on a reference to a definition that does not exist", async () => {
    const broken = structuredClone(definitions) as { $defs: Record<string, unknown> };
    delete broken.$defs["io.example.Tree"];
    const source = await fixture(broken);
    const result = await run("python3", [SCRIPT, source, VERSION, path.join(source, "out")]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown definition io.example.Tree");
  });
});
