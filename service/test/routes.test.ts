import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");

interface ReadResourceBody {
  contents: Array<{ uri: string; mimeType: string; text: string }>;
}

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ LOG_LEVEL: "silent" });
});
afterAll(async () => {
  await t.close();
});

async function getResource(route: string): Promise<{ response: Response; body: ReadResourceBody }> {
  const response = await fetch(`${t.url}${route}`);
  expect(response.status, route).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return { response, body: (await response.json()) as ReadResourceBody };
}

describe("resource routes", () => {
  it("serves the SDLC core as a ReadResourceResult with the file's exact text", async () => {
    const { body } = await getResource("/mcp/resources/sdlc/core");
    expect(body).toEqual({
      contents: [
        {
          uri: "sdlc://core",
          mimeType: "text/markdown",
          text: await readFile(`${CONTENT}/sdlc/core.md`, "utf8"),
        },
      ],
    });
  });

  it("serves every shipped pattern file for every language", async () => {
    const languages = await readdir(`${CONTENT}/patterns`);
    expect(languages.length).toBeGreaterThanOrEqual(3);
    for (const language of languages) {
      for (const file of await readdir(`${CONTENT}/patterns/${language}`)) {
        const name = file.replace(/\.md$/, "");
        const { body } = await getResource(`/mcp/resources/patterns/${name}?language=${language}`);
        expect(body.contents).toHaveLength(1);
        expect(body.contents[0]?.uri).toBe(`sdlc://patterns/${language}/${name}`);
        expect(body.contents[0]?.text).toBe(
          await readFile(`${CONTENT}/patterns/${language}/${file}`, "utf8"),
        );
      }
    }
  });

  it("defaults the pattern language to python", async () => {
    const { body } = await getResource("/mcp/resources/patterns/testing");
    expect(body.contents[0]?.uri).toBe("sdlc://patterns/python/testing");
  });

  it("serves every shipped template", async () => {
    for (const file of await readdir(`${CONTENT}/templates`)) {
      const name = file.replace(/\.md$/, "");
      const { body } = await getResource(`/mcp/resources/templates/${name}`);
      expect(body.contents[0]).toMatchObject({ uri: `sdlc://templates/${name}`, mimeType: "text/markdown" });
    }
  });

  it("lists templates from file metadata", async () => {
    const response = await fetch(`${t.url}/mcp/resources/templates`);
    expect(response.status).toBe(200);
    const listing = (await response.json()) as {
      resources: Array<{ uri: string; name: string; mimeType: string; size: number }>;
    };
    const files = (await readdir(`${CONTENT}/templates`)).sort();
    expect(listing.resources.map((r) => r.name)).toEqual(files.map((f) => f.replace(/\.md$/, "")));
    for (const resource of listing.resources) {
      expect(resource).toEqual({
        uri: `sdlc://templates/${resource.name}`,
        name: resource.name,
        mimeType: "text/markdown",
        size: (await stat(`${CONTENT}/templates/${resource.name}.md`)).size,
      });
    }
  });

  it("answers a well-formed name without a file with a 404 problem", async () => {
    for (const route of [
      "/mcp/resources/patterns/nonexistent",
      "/mcp/resources/patterns/core?language=cobol",
      "/mcp/resources/templates/nonexistent",
      "/mcp/resources/sdlc/other",
    ]) {
      const response = await fetch(`${t.url}${route}`);
      expect(response.status, route).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(await response.json()).toMatchObject({ status: 404, title: "Resource not found" });
    }
  });

  it("answers liveness and readiness", async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", checks: { content: "ok", cache: "ok" } });
  });

  it.each([
    "/mcp/resources/sdlc/core",
    "/mcp/resources/patterns/core?language=go",
    "/mcp/resources/templates",
    "/mcp/resources/templates/prd",
    "/mcp/resources/templates/prd/extra",
  ])("answers other methods than GET and HEAD on %s with a 405 naming the allowed ones", async (route) => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const response = await fetch(`${t.url}${route}`, { method, body: method === "DELETE" ? null : "{}" });
      expect(response.status, `${method} ${route}`).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(await response.json()).toMatchObject({ status: 405, type: "/problems/method-not-allowed" });
    }
    const options = await fetch(`${t.url}${route}`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await fetch(`${t.url}${route}`, { method: "HEAD" })).status).not.toBe(405);
  });

  it("answers unknown routes with a problem+json 404", async () => {
    const response = await fetch(`${t.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("template listing cache", () => {
  it("revalidates with its ETag and shows a new template once the listing TTL has passed", async () => {
    const { cp, mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { CATALOG_TTL_MS, CATALOG_STALE_MS } = await import("../src/content-catalog.js");
    const dir = await mkdtemp(path.join(tmpdir(), "content-"));
    await cp(CONTENT, dir, { recursive: true });
    const fresh = await startTestService({ LOG_LEVEL: "silent", CONTENT_DIR: dir });
    try {
      const first = await fetch(`${fresh.url}/mcp/resources/templates`);
      const etag = first.headers.get("etag") ?? "";
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const revalidated = await fetch(`${fresh.url}/mcp/resources/templates`, {
        headers: { "If-None-Match": etag },
      });
      expect(revalidated.status).toBe(304);

      await writeFile(path.join(dir, "templates", "postmortem.md"), "# Postmortem\n");
      await new Promise((r) => setTimeout(r, CATALOG_TTL_MS + 200));
      // The first listing past the TTL starts the next walk (and may be answered from the
      // last one); the walk reads a handful of files, so the new template follows at once.
      const listing = () =>
        fetch(`${fresh.url}/mcp/resources/templates`, { headers: { "If-None-Match": etag } });
      let later = await listing();
      const deadline = Date.now() + CATALOG_STALE_MS;
      while (later.status === 304 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        later = await listing();
      }
      expect(later.status).toBe(200);
      const names = ((await later.json()) as { resources: Array<{ name: string }> }).resources.map(
        (r) => r.name,
      );
      expect(names).toContain("postmortem");
    } finally {
      await fresh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
