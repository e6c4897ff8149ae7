import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");

/** Sends the path byte for byte: fetch() would normalise `..` and re-encode. */
function rawGet(baseUrl: string, rawPath: string): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: rawPath, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const P = "/mcp/resources/patterns";
const T = "/mcp/resources/templates";

/** Each case: a hostile path and why it must be refused with a 400 problem. */
const HOSTILE: Array<[string, string]> = [
  ["encoded traversal", `${P}/%2e%2e%2f%2e%2e%2fetc%2fpasswd`],
  ["encoded dot-dot", `${P}/%2e%2e`],
  ["encoded slash", `${T}/prd%2F..%2F..%2Fsecret`],
  ["encoded backslash", `${T}/..%5C..%5Cwindows`],
  ["double encoding", `${P}/%252e%252e%252fetc`],
  ["double-encoded slash", `${T}/a%252Fb`],
  ["NUL byte", `${P}/core%00.md`],
  ["undecodable percent", `${P}/%E0%A4%A`],
  ["lone percent", `${T}/%`],
  ["absolute path", `${T}/%2Fetc%2Fpasswd`],
  ["drive letter", `${T}/C%3A%5Cwindows%5Cwin.ini`],
  ["uppercase", `${P}/Core`],
  ["dot in name", `${P}/core.md`],
  ["leading dot", `${T}/.hidden`],
  ["leading hyphen", `${T}/-prd`],
  ["over-long name", `${T}/${"a".repeat(65)}`],
  ["space", `${T}/pr%20d`],
  ["unicode lookalike", `${T}/pr%C4%91`],
  ["raw traversal segments", `${P}/../../etc/passwd`],
  ["raw multi-segment", `${T}/prd/extra`],
  ["bad language: traversal", `${P}/core?language=..%2F..%2Fetc`],
  ["bad language: uppercase", `${P}/core?language=Python`],
  ["bad language: empty", `${P}/core?language=`],
  ["bad language: repeated", `${P}/core?language=python&language=go`],
  ["bad language: NUL", `${P}/core?language=py%00thon`],
  ["bad sdlc name", "/mcp/resources/sdlc/..%2fcore"],
];

describe("path safety", () => {
  let contentDir: string;
  let t: TestService;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    contentDir = await mkdtemp(path.join(tmpdir(), "content-"));
    await cp(CONTENT, contentDir, { recursive: true });
    const outside = await mkdtemp(path.join(tmpdir(), "outside-"));
    await writeFile(path.join(outside, "secret.md"), "TOP SECRET: must never be served\n");
    // Well-formed names whose files are links leading out of the content root.
    await symlink(path.join(outside, "secret.md"), path.join(contentDir, "templates", "leak.md"));
    await symlink(outside, path.join(contentDir, "patterns", "evil"));
    await symlink("/etc/passwd", path.join(contentDir, "patterns", "python", "passwd.md"));
    // A link that stays inside the root is fine.
    await symlink(
      path.join(contentDir, "templates", "prd.md"),
      path.join(contentDir, "templates", "prd-alias.md"),
    );
    t = await startTestService({ CONTENT_DIR: contentDir });
    redis = createClient({ url: t.redis.url });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close();
    await t.close();
    await rm(contentDir, { recursive: true, force: true });
  });

  it.each(HOSTILE)("refuses %s with a 400 problem", async (_why, rawPath) => {
    const response = await rawGet(t.url, rawPath);
    expect(response.status).toBe(400);
    expect(response.type).toBe("application/problem+json; charset=utf-8");
    expect(JSON.parse(response.body)).toMatchObject({
      status: 400,
      type: expect.stringMatching(/^\/problems\//),
    });
  });

  it("lets none of the hostile input reach the cache or a metric label", async () => {
    for (const [, rawPath] of HOSTILE) await rawGet(t.url, rawPath);
    expect(await redis.keys("*")).toEqual([]);
    const exposition = await scrape(t.url);
    for (const sample of exposition.samples) {
      for (const value of Object.values(sample.labels)) {
        expect(value, `${sample.name} label`).not.toMatch(/\.\.|%|passwd|etc|Core|windows/);
      }
    }
  });

  it.each([
    ["a file symlink to a secret outside the root", `${T}/leak`],
    ["a directory symlink leading outside", `${P}/secret?language=evil`],
    ["a symlink to /etc/passwd", `${P}/passwd?language=python`],
  ])("answers %s with a 404 and a warning, never the target's bytes", async (_why, rawPath) => {
    const warningsBefore = t.logs.filter(
      (l) => l.level === "warn" && String(l.msg).includes("outside CONTENT_DIR"),
    ).length;
    const response = await rawGet(t.url, rawPath);
    expect(response.status).toBe(404);
    expect(response.body).not.toMatch(/SECRET|root:/);
    const warnings = t.logs.filter(
      (l) => l.level === "warn" && String(l.msg).includes("outside CONTENT_DIR"),
    );
    expect(warnings.length).toBe(warningsBefore + 1);
  });

  it("serves a symlink that stays inside the root", async () => {
    const response = await rawGet(t.url, `${T}/prd-alias`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).contents[0].uri).toBe("sdlc://templates/prd-alias");
  });

  it("does not list templates whose files lead outside the root", async () => {
    const listing = JSON.parse((await rawGet(t.url, T)).body) as { resources: Array<{ name: string }> };
    const names = listing.resources.map((r) => r.name);
    expect(names).toContain("prd-alias");
    expect(names).not.toContain("leak");
  });
});
