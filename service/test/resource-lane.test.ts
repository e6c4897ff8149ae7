/**
 * The resource lane answers plain resource reads before Express; with drill faults on there is
 * no lane and every request takes the routes. Two real services, one each way, get the same
 * requests: every answer (status, headers, bytes) and every request metric must be the same.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Exposition, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers that differ between any two responses by design. */
const PER_RESPONSE = new Set(["x-request-id", "date"]);

function send(
  baseUrl: string,
  path: string,
  method: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // The path as given, not normalised the way a URL string would be ("a/../b").
    const { hostname, port } = new URL(baseUrl);
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const kept: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers))
          if (!PER_RESPONSE.has(name)) kept[name] = String(value);
        resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** http_request_duration_seconds_count by method, route and status. */
function requestCounts(exposition: Exposition): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of exposition.samples) {
    if (s.name !== "http_request_duration_seconds_count" || s.labels.route === "/metrics") continue;
    counts[`${s.labels.method} ${s.labels.route} ${s.labels.status_code}`] = s.value;
  }
  return counts;
}

const PATHS = [
  "/mcp/resources/sdlc/core",
  "/mcp/resources/patterns/core?language=python",
  "/mcp/resources/patterns/testing",
  "/mcp/resources/templates/adr",
  "/mcp/resources/templates",
  // Well-formed names without a file, and a kind restricted to some names: 404s.
  "/mcp/resources/templates/no-such-template",
  "/mcp/resources/patterns/core?language=cobol",
  "/mcp/resources/sdlc/other",
];

const ENCODINGS: Array<Record<string, string>> = [
  {},
  { "Accept-Encoding": "identity" },
  { "Accept-Encoding": "gzip, deflate, br" },
  { "Accept-Encoding": "br;q=0, gzip" },
];

let lane: TestService;
let routes: TestService;
beforeAll(async () => {
  [lane, routes] = await Promise.all([
    startTestService({ LOG_LEVEL: "silent" }),
    startTestService({ LOG_LEVEL: "silent", FAULTS_ENABLED: "true" }),
  ]);
});
afterAll(async () => {
  await Promise.all([lane?.close(), routes?.close()]);
});

describe("the resource lane", () => {
  it("answers GET, HEAD and conditional GETs as the routes do, cold and warm, in every encoding", async () => {
    for (const round of ["cold", "warm"]) {
      for (const path of PATHS) {
        for (const headers of ENCODINGS) {
          for (const method of ["GET", "HEAD"]) {
            const [a, b] = await Promise.all([
              send(lane.url, path, method, headers),
              send(routes.url, path, method, headers),
            ]);
            const what = `${round} ${method} ${path} ${JSON.stringify(headers)}`;
            expect(a.status, what).toBe(b.status);
            expect(a.headers, what).toEqual(b.headers);
            expect(a.body.equals(b.body), what).toBe(true);
            const etag = a.headers.etag;
            if (a.status !== 200 || !etag) continue;
            const conditional = { ...headers, "If-None-Match": `W/${etag}, "other"` };
            const [c, d] = await Promise.all([
              send(lane.url, path, method, conditional),
              send(routes.url, path, method, conditional),
            ]);
            expect(c.status, `${what} If-None-Match`).toBe(304);
            expect(c.headers, `${what} If-None-Match`).toEqual(d.headers);
          }
        }
      }
    }
    // Both kept the same books: every request under its route template and status.
    const [laneCounts, routeCounts] = await Promise.all([scrape(lane.url), scrape(routes.url)]);
    expect(requestCounts(laneCounts)).toEqual(requestCounts(routeCounts));
    expect(Object.keys(requestCounts(laneCounts))).toContain("GET /mcp/resources/patterns/:name 200");
  });

  it("leaves what is not a plain read to the routes: the same answers either way", async () => {
    for (const path of [
      "/mcp/resources/sdlc/%63ore",
      "/mcp/resources/patterns/core?language=python&language=go",
      "/mcp/resources/patterns/core?language=Python",
      "/mcp/resources/templates/../sdlc/core",
      "/mcp/resources/templates/a/b",
      "/mcp/resources/templates?x=1",
      "/mcp/resources/templates/",
      "/mcp/resources/nope/core",
    ]) {
      const [a, b] = await Promise.all([send(lane.url, path, "GET", {}), send(routes.url, path, "GET", {})]);
      expect(a.status, path).toBe(b.status);
      expect(a.headers, path).toEqual(b.headers);
      expect(a.body.equals(b.body), path).toBe(true);
    }
  });
});
