import { readFile } from "node:fs/promises";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MCP_REQUEST_HEADERS, mcpReadResourceRequest } from "../../lib/contract/mcp.js";
import { waitFor } from "../../lib/harness/ports.js";
import { sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");
const CORE = "/mcp/resources/sdlc/core";
const CORE_KEY = "resource:sdlc:core";

/**
 * A value read from Redis is served only when it is what this service writes: the expected
 * format version, each variant matching its checksum (and the body its ETag), a TTL. Anything
 * else (another writer's garbage, a truncated or corrupted variant, an entry someone made
 * permanent) is a miss: served from disk, counted, logged, and overwritten by the fill.
 */
for (const tier of ["on", "off"] as const) {
  describe(`cache entries from Redis are verified before use (in-process tier ${tier})`, () => {
    let t: TestService;
    let redis: ReturnType<typeof createClient>;
    let coreText: string;

    beforeAll(async () => {
      t = await startTestService({
        LOG_LEVEL: "info",
        ...(tier === "off" ? { LOCAL_CACHE_MAX_MB: "0" } : {}),
      });
      redis = createClient({ url: t.redis.url });
      await redis.connect();
      coreText = await readFile(`${CONTENT}/sdlc/core.md`, "utf8");
    });
    afterEach(async () => {
      await redis.flushAll();
    });
    afterAll(async () => {
      await redis.close();
      await t.close();
    });

    const invalid = async (reason: string) =>
      sampleValue(await scrape(t.url), "mcp_resource_cache_invalid_entries_total", { reason });

    /** The core, as a client gets it: status, ETag, X-Cache and the decoded text. */
    async function getCore(encoding = "identity") {
      const response = await fetch(`${t.url}${CORE}`, { headers: { "accept-encoding": encoding } });
      const body = (await response.json()) as { contents: Array<{ text: string }> };
      return {
        status: response.status,
        etag: response.headers.get("etag"),
        cache: response.headers.get("x-cache"),
        text: body.contents[0]?.text,
      };
    }

    /** Waits until the service has written a valid entry at the key (a fill). */
    async function filled(): Promise<Record<string, string>> {
      return await waitFor("a valid entry at the key", async () => {
        const fields = await redis.hGetAll(CORE_KEY);
        return fields.etag && fields.etag !== '"x"' && (await redis.pTTL(CORE_KEY)) > 0 ? fields : undefined;
      });
    }

    it("serves the file, not a foreign value (no TTL, not JSON), and overwrites it", async () => {
      const before = await invalid("format");
      await redis.hSet(CORE_KEY, { etag: '"x"', body: "not json" });
      const first = await getCore();
      expect(first).toMatchObject({ status: 200, cache: "MISS", text: coreText });
      expect(first.etag).not.toBe('"x"');
      expect(await invalid("format")).toBe(before + 1);
      expect(
        t.logs.some(
          (line) => line.level === "warn" && line.key === CORE_KEY && /verification/.test(String(line.msg)),
        ),
      ).toBe(true);
      await filled();
      expect(await redis.hGet(CORE_KEY, "body")).not.toBe("not json");
      await waitFor("a hit on the overwritten entry", async () => (await getCore()).cache === "HIT");
    });

    it("never serves a corrupted compressed variant", async () => {
      await getCore("gzip");
      await filled();
      const before = await invalid("checksum");
      await redis.hSet(CORE_KEY, "gzip", "garbage, not gzip");
      // fetch() fails to decode a garbage gzip body; a verified entry decodes to the file.
      const after = await waitFor("the corrupted variant to be noticed", async () => {
        const got = await getCore("gzip");
        return got.cache === "MISS" ? got : undefined;
      });
      expect(after).toMatchObject({ status: 200, text: coreText });
      expect(await invalid("checksum")).toBe(before + 1);
      await waitFor(
        "the variant rewritten",
        async () => (await redis.hGet(CORE_KEY, "gzip")) !== "garbage, not gzip",
      );
    });

    it("does not keep serving an entry that lost its TTL", async () => {
      await getCore();
      await filled();
      const before = await invalid("ttl");
      await redis.persist(CORE_KEY);
      const after = await waitFor("the permanent entry to be refused", async () => {
        const got = await getCore();
        return got.cache === "MISS" ? got : undefined;
      });
      expect(after).toMatchObject({ status: 200, text: coreText });
      expect(await invalid("ttl")).toBe(before + 1);
      await waitFor("the TTL restored", async () => (await redis.pTTL(CORE_KEY)) > 0);
    });

    it("refuses a body that does not match its ETag and checksum", async () => {
      await getCore();
      const valid = await filled();
      // With the tier, the whole entry is checked (CRC-32 and SHA-256) when it is read back.
      // Without it, a value already verified once is only checked for its lengths on later
      // reads (no per-request checksum of the body), so the tampering there changes a length.
      const tampered =
        tier === "on" ? valid.body?.replace("SDLC", "XXXX") : valid.body?.replace("SDLC", "SDLC, tampered");
      await redis.hSet(CORE_KEY, "body", tampered ?? "");
      const after = await waitFor("the tampered body to be refused", async () => {
        const got = await getCore();
        return got.cache === "MISS" ? got : undefined;
      });
      expect(after).toMatchObject({ status: 200, text: coreText, etag: valid.etag });
    });

    it("answers an MCP read of a poisoned key with the file, not an internal error", async () => {
      await redis.hSet(CORE_KEY, { etag: '"x"', body: "not json" });
      const request = mcpReadResourceRequest("sdlc://core");
      const response = await fetch(`${t.url}${request.path}`, {
        method: "POST",
        headers: MCP_REQUEST_HEADERS,
        body: request.body,
      });
      const answer = (await response.json()) as { result?: { contents: Array<{ text: string }> } };
      expect(answer.result?.contents[0]?.text).toBe(coreText);
    });
  });
}
