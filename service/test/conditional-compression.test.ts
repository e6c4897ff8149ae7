import { request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../test/support/service.js";

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, not fetch: fetch decompresses silently, and we want the bytes on the wire. */
function get(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const LARGE = "/mcp/resources/patterns/core?language=python"; // > 100 KB, the runbook's compression case
const SMALL = "/mcp/resources/templates/release-notes";

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ LOG_LEVEL: "silent" });
});
afterAll(async () => {
  await t.close();
});

describe("ETag and If-None-Match", () => {
  it("answers a matching If-None-Match with 304 and no body, on a miss and on a hit", async () => {
    const first = await get(t.url, SMALL);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/); // strong
    for (let i = 0; i < 2; i++) {
      const revalidated = await get(t.url, SMALL, { "If-None-Match": etag });
      expect(revalidated.status).toBe(304);
      expect(revalidated.body.length).toBe(0);
      expect(revalidated.headers.etag).toBe(etag);
    }
    expect((await get(t.url, SMALL, { "If-None-Match": `"other", ${etag}` })).status).toBe(304);
    expect((await get(t.url, SMALL, { "If-None-Match": `W/${etag}` })).status).toBe(304);
    expect((await get(t.url, SMALL, { "If-None-Match": "*" })).status).toBe(304);
    expect((await get(t.url, SMALL, { "If-None-Match": '"stale"' })).status).toBe(200);
  });

  it("gives different resources different ETags and the same resource the same one", async () => {
    const a = await get(t.url, SMALL);
    const b = await get(t.url, "/mcp/resources/templates/adr");
    const a2 = await get(t.url, SMALL);
    expect(a.headers.etag).not.toBe(b.headers.etag);
    expect(a2.headers.etag).toBe(a.headers.etag);
  });
});

describe("compression", () => {
  it("sends br, then gzip, for bodies over 10 KB, decoding to the identity bytes", async () => {
    const identity = await get(t.url, LARGE);
    expect(identity.headers["content-encoding"]).toBeUndefined();
    expect(identity.body.length).toBeGreaterThan(100 * 1024);

    for (let i = 0; i < 2; i++) {
      // twice: once filled on a miss, once from the cache
      const br = await get(t.url, LARGE, { "Accept-Encoding": "gzip, deflate, br" });
      expect(br.headers["content-encoding"]).toBe("br");
      expect(br.headers.vary).toBe("Accept-Encoding");
      expect(br.body.length).toBeLessThan(identity.body.length / 2);
      expect(brotliDecompressSync(br.body).equals(identity.body)).toBe(true);
      expect(br.headers.etag).toBe(identity.headers.etag);

      const gz = await get(t.url, LARGE, { "Accept-Encoding": "gzip" });
      expect(gz.headers["content-encoding"]).toBe("gzip");
      expect(Number(gz.headers["content-length"])).toBe(gz.body.length);
      expect(gunzipSync(gz.body).equals(identity.body)).toBe(true);
    }
  });

  it("honours q=0 and leaves small bodies uncompressed", async () => {
    const noBr = await get(t.url, LARGE, { "Accept-Encoding": "br;q=0, gzip" });
    expect(noBr.headers["content-encoding"]).toBe("gzip");
    const none = await get(t.url, LARGE, { "Accept-Encoding": "identity" });
    expect(none.headers["content-encoding"]).toBeUndefined();
    const small = await get(t.url, SMALL, { "Accept-Encoding": "br, gzip" });
    expect(small.body.length).toBeLessThan(10 * 1024);
    expect(small.headers["content-encoding"]).toBeUndefined();
  });
});
