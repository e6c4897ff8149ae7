import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceKind, resourceRef } from "../../lib/contract/resource-kinds.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { createCatalogSource, firstHeading, nameChoices } from "../src/content-catalog.js";
import { type ContentStore, openContentStore } from "../src/content-store.js";
import { parseResourceUri } from "../src/mcp/uri.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");
const silent = pino({ level: "silent" });

describe("MCP_ALLOWED_HOSTS", () => {
  it("defaults to the localhost names when HOST is loopback", () => {
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) {
      expect(loadConfig({ HOST: host }).mcpAllowedHosts, host).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    }
  });

  it("defaults to no check when bound to all interfaces or another address", () => {
    for (const host of ["0.0.0.0", "::", "10.1.2.3"]) {
      expect(loadConfig({ HOST: host }).mcpAllowedHosts, host).toBeUndefined();
    }
    expect(loadConfig({}).mcpAllowedHosts).toBeUndefined();
  });

  it("takes a comma-separated list, lower-cased, IPv6 in brackets", () => {
    expect(
      loadConfig({ HOST: "0.0.0.0", MCP_ALLOWED_HOSTS: " Service , mcp.example.com,::1,[fe80::1],10.0.0.5" })
        .mcpAllowedHosts,
    ).toEqual(["service", "mcp.example.com", "[::1]", "[fe80::1]", "10.0.0.5"]);
    // An explicit list replaces the loopback default.
    expect(loadConfig({ HOST: "127.0.0.1", MCP_ALLOWED_HOSTS: "service" }).mcpAllowedHosts).toEqual([
      "service",
    ]);
  });

  it("turns the check off with *", () => {
    expect(loadConfig({ HOST: "127.0.0.1", MCP_ALLOWED_HOSTS: "*" }).mcpAllowedHosts).toBeUndefined();
  });

  it.each(["localhost:8000", "http://localhost", "a b", ",", "*,localhost", "host/path", "-bad"])(
    "rejects MCP_ALLOWED_HOSTS=%s naming the variable",
    (value) => {
      expect(() => loadConfig({ MCP_ALLOWED_HOSTS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ MCP_ALLOWED_HOSTS: value })).toThrow(/MCP_ALLOWED_HOSTS=/);
    },
  );
});

describe("parseResourceUri", () => {
  it("builds the same refs (and cache keys) as the REST routes", () => {
    expect(parseResourceUri("sdlc://core")).toEqual(resourceRef("sdlc", ["core"]));
    expect(parseResourceUri("sdlc://patterns/python/core")).toEqual(
      resourceRef("patterns", ["python", "core"]),
    );
    expect(parseResourceUri("sdlc://patterns/go/test_helpers-2")).toEqual(
      resourceRef("patterns", ["go", "test_helpers-2"]),
    );
    expect(parseResourceUri("sdlc://templates/design-doc")).toEqual(resourceRef("templates", ["design-doc"]));
    expect(parseResourceUri("sdlc://templates/prd").cacheKey).toBe("resource:templates:prd");
  });

  it.each([
    "sdlc://patterns/python/..%2Fcore",
    "sdlc://patterns/python/%2e%2e",
    "sdlc://patterns/python/Core",
    "sdlc://patterns/py thon/core",
    "sdlc://patterns//core",
    "sdlc://patterns/python/",
    "sdlc://patterns/python/../core",
    "sdlc://patterns/python/core/x",
    "sdlc://templates/prd/",
    "sdlc://templates/_prd",
    "sdlc://templates/prd.md",
    "sdlc://templates/prd#x",
    "sdlc://templates/prd?x",
    "sdlc://core/",
    "sdlc:/core",
    "sdlc:core",
    "Sdlc://core",
    "sdlc://",
    "",
  ])("refuses %j with -32602", (uri) => {
    let caught: unknown;
    try {
      parseResourceUri(uri);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(McpError);
    expect((caught as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((caught as McpError).data).toEqual({ uri });
  });

  it("never echoes more than 200 characters of a client's URI", () => {
    try {
      parseResourceUri(`x${"y".repeat(10_000)}`);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(400);
    }
  });
});

describe("firstHeading", () => {
  it("finds the first level-1 heading outside code fences", () => {
    expect(firstHeading("# Title\n\ntext")).toBe("Title");
    expect(firstHeading("intro\n## Sub\n# Real Title ##\n")).toBe("Real Title");
    expect(firstHeading("```\n# not a heading\n```\n# Heading\r\n")).toBe("Heading");
    expect(firstHeading("#hashtag\nno heading")).toBeUndefined();
  });
});

describe("resource catalog", () => {
  let dir: string;
  let outside: string;
  let store: ContentStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mcp-catalog-"));
    await cp(CONTENT, dir, { recursive: true });
    // Things that must never be listed: bad names, non-markdown, links leading outside.
    outside = await mkdtemp(path.join(tmpdir(), "mcp-outside-"));
    await writeFile(path.join(outside, "secret.md"), "# Secret\n");
    await writeFile(path.join(dir, "templates", "Bad Name.md"), "# Bad\n");
    await writeFile(path.join(dir, "templates", "notes.txt"), "# Notes\n");
    await symlink(path.join(outside, "secret.md"), path.join(dir, "templates", "leak.md"));
    await symlink(outside, path.join(dir, "patterns", "rust"));
    await writeFile(path.join(dir, "templates", "untitled.md"), "no heading here\n");
    store = await openContentStore(dir, silent);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("lists only valid, contained files, with a humanised title when there is no heading", async () => {
    const catalog = await createCatalogSource(store, silent, 0).get();
    const uris = catalog.resources.map((r) => r.uri);
    expect(uris).not.toContain("sdlc://templates/leak");
    for (const refused of [
      "sdlc://templates/Bad Name",
      "sdlc://templates/notes",
      "sdlc://patterns/rust/secret",
    ]) {
      expect(uris).not.toContain(refused);
    }
    expect(uris.filter((u) => u.startsWith("sdlc://patterns/rust/"))).toEqual([]);
    expect(nameChoices(catalog, resourceKind("patterns"), "language")).toEqual([
      "go",
      "python",
      "typescript",
    ]);
    expect(nameChoices(catalog, resourceKind("templates"), "artifact_type")).toContain("untitled");
    expect(catalog.resources.find((r) => r.uri === "sdlc://templates/untitled")?.title).toBe(
      "Untitled Template",
    );
  });

  it("reuses one build within the TTL and rebuilds after it", async () => {
    const source = createCatalogSource(store, silent, 60_000);
    const first = await source.get();
    await writeFile(path.join(dir, "templates", "fresh.md"), "# Fresh\n");
    expect(await source.get()).toBe(first);
    expect(
      nameChoices(
        await createCatalogSource(store, silent, 0).get(),
        resourceKind("templates"),
        "artifact_type",
      ),
    ).toContain("fresh");
  });
});
