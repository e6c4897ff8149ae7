import { ErrorCode, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isMcpReadSuccess,
  MCP_PROTOCOL_VERSION,
  MCP_REQUEST_HEADERS,
  mcpReadResourceRequest,
} from "../../lib/contract/mcp.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

import { expectJsonRpcError, JSON_HEADERS, raw, readBody, restText } from "./mcp-helpers.js";

/**
 * POST /mcp at the HTTP level: the SDK's 4xx answers to what is not a JSON-RPC request (never
 * a 500), the wire form exported for k6, and the Host-header check against DNS rebinding.
 */
describe("MCP over Streamable HTTP, at the HTTP level", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ LOG_LEVEL: "debug" });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("HTTP-level errors: the SDK's 4xx answers, never a 500", () => {
    it("answers malformed JSON with 400 and a JSON-RPC parse error", async () => {
      for (const body of ["{bad", "", "[", '{"jsonrpc":"2.0",', "\u0000"]) {
        const response = await raw(t.url, { headers: JSON_HEADERS, body });
        expect(response.status, JSON.stringify(body)).toBe(400);
        expectJsonRpcError(response, -32700);
      }
    });

    it("answers JSON that is not JSON-RPC with a 4xx JSON-RPC error", async () => {
      for (const body of [
        '{"hello":"world"}',
        "null",
        "42",
        '"resources/read"',
        '{"jsonrpc":"1.0","id":1,"method":"resources/read"}',
        '{"jsonrpc":"2.0","id":{},"method":"resources/read"}',
        JSON.stringify(Array.from({ length: 101 }, (_, id) => ({ jsonrpc: "2.0", id, method: "ping" }))),
      ]) {
        const response = await raw(t.url, { headers: JSON_HEADERS, body });
        expect(response.status, body.slice(0, 60)).toBeGreaterThanOrEqual(400);
        expect(response.status, body.slice(0, 60)).toBeLessThan(500);
        expect(JSON.parse(response.text)).toMatchObject({
          jsonrpc: "2.0",
          error: { code: expect.any(Number) },
        });
      }
    });

    it("answers a wrong or missing Accept with 406", async () => {
      for (const accept of ["application/json", "text/event-stream", "text/html", undefined]) {
        const headers: Record<string, string> = { "Content-Type": "application/json" };
        if (accept) headers.Accept = accept;
        const response = await raw(t.url, { headers, body: readBody("sdlc://core") });
        expect(response.status, String(accept)).toBe(406);
        expectJsonRpcError(response, -32000);
      }
    });

    it("answers a wrong or missing Content-Type with 415", async () => {
      for (const contentType of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        undefined,
      ]) {
        const headers: Record<string, string> = { Accept: JSON_HEADERS.Accept };
        if (contentType) headers["Content-Type"] = contentType;
        const response = await raw(t.url, { headers, body: readBody("sdlc://core") });
        expect(response.status, String(contentType)).toBe(415);
        expectJsonRpcError(response, -32000);
      }
    });

    it("answers GET, DELETE and other methods with 405 and Allow: POST", async () => {
      for (const method of ["GET", "DELETE", "PUT", "PATCH"]) {
        const response = await raw(t.url, {
          method,
          headers: { Accept: "text/event-stream, application/json" },
        });
        expect(response.status, method).toBe(405);
        expect(response.headers.allow).toBe("POST");
        expectJsonRpcError(response, -32000);
      }
    });

    it("answers an oversized body with 413 and an unsupported protocol version with 400", async () => {
      const big = readBody(`sdlc://templates/${"a".repeat(100 * 1024)}`);
      const tooLarge = await raw(t.url, { headers: JSON_HEADERS, body: big });
      expect(tooLarge.status).toBe(413);
      expectJsonRpcError(tooLarge, -32000);

      const badVersion = await raw(t.url, {
        headers: { ...JSON_HEADERS, "MCP-Protocol-Version": "1999-01-01" },
        body: readBody("sdlc://core"),
      });
      expect(badVersion.status).toBe(400);
      expectJsonRpcError(badVersion, -32000);
    });

    it("answers protocol-level mistakes inside a valid request with JSON-RPC errors", async () => {
      const call = async (message: object) =>
        JSON.parse((await raw(t.url, { headers: JSON_HEADERS, body: JSON.stringify(message) })).text);
      expect(
        await call({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "x" } }),
      ).toMatchObject({
        id: 7,
        error: { code: ErrorCode.MethodNotFound },
      });
      expect(await call({ jsonrpc: "2.0", id: 8, method: "resources/read", params: {} })).toMatchObject({
        id: 8,
        error: { code: ErrorCode.InvalidParams },
      });
      expect(
        await call({ jsonrpc: "2.0", id: 9, method: "resources/read", params: { uri: 42 } }),
      ).toMatchObject({ id: 9, error: { code: ErrorCode.InvalidParams } });
      expect(
        await call({ jsonrpc: "2.0", id: 10, method: "resources/subscribe", params: { uri: "sdlc://core" } }),
      ).toMatchObject({ id: 10, error: { code: ErrorCode.MethodNotFound } });
      expect(
        await call({ jsonrpc: "2.0", id: 11, method: "resources/read", params: { uri: ["sdlc://core"] } }),
      ).toMatchObject({
        id: 11,
        error: { code: ErrorCode.InvalidParams, message: expect.stringContaining("params.uri") },
      });
      expect(
        await call({ jsonrpc: "2.0", id: 12, method: "resources/list", params: { cursor: 5 } }),
      ).toMatchObject({ id: 12, error: { code: ErrorCode.InvalidParams } });
      expect(
        await call({
          jsonrpc: "2.0",
          id: 13,
          method: "completion/complete",
          params: { ref: { type: "ref/resource" }, argument: { name: "language" } },
        }),
      ).toMatchObject({ id: 13, error: { code: ErrorCode.InvalidParams } });
    });
  });

  describe("the wire description exported for k6", () => {
    it("reads a resource in one POST, without initialize or session", async () => {
      const uri = "sdlc://patterns/typescript/testing";
      const described = mcpReadResourceRequest(uri, 42);
      expect(described.method).toBe("POST");
      expect(described.path).toBe("/mcp");
      const response = await fetch(`${t.url}${described.path}`, {
        method: described.method,
        headers: described.headers,
        body: described.body,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("mcp-session-id")).toBeNull();
      const text = await response.text();
      expect(isMcpReadSuccess(text, uri)).toBe(true);
      const body = JSON.parse(text) as { id: number; result: { contents: Array<{ text: string }> } };
      expect(body.id).toBe(42);
      expect(body.result.contents[0]?.text).toBe(
        await restText(t.url, "/mcp/resources/patterns/testing?language=typescript"),
      );
    });

    it("describes failures as failures and uses a protocol version the SDK supports", async () => {
      expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(MCP_PROTOCOL_VERSION);
      expect(MCP_REQUEST_HEADERS["MCP-Protocol-Version"]).toBe(MCP_PROTOCOL_VERSION);
      const described = mcpReadResourceRequest("sdlc://templates/nonexistent");
      const response = await fetch(`${t.url}${described.path}`, { ...described });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(isMcpReadSuccess(text, "sdlc://templates/nonexistent")).toBe(false);
      expect(JSON.parse(text)).toMatchObject({ error: { code: ErrorCode.InvalidParams } });
      expect(isMcpReadSuccess("not json", "sdlc://core")).toBe(false);
    });
  });

  it("logged no server error and answered no request with a 5xx", async () => {
    expect(t.logs.filter((line) => line.level === "error" || line.level === "fatal")).toEqual([]);
    const exposition = await scrape(t.url);
    const serverErrors = exposition.samples.filter(
      (s) => s.name === "http_request_duration_seconds_count" && s.labels.status_code?.startsWith("5"),
    );
    expect(serverErrors.reduce((sum, s) => sum + s.value, 0)).toBe(0);
  });
});

describe("MCP Host-header validation (DNS rebinding)", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const read = (url: string, host: string) =>
    raw(url, { headers: { ...JSON_HEADERS, Host: host }, body: readBody("sdlc://core") });

  it("allows only the localhost names by default when bound to loopback", async () => {
    const t = await startTestService({ LOG_LEVEL: "silent" }, redis);
    try {
      const { port } = t.service;
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "localhost", `[::1]:${port}`]) {
        expect((await read(t.url, host)).status, host).toBe(200);
      }
      for (const host of [`evil.example:${port}`, "attacker.test", `127.0.0.1.nip.io:${port}`, "[::2]"]) {
        const response = await read(t.url, host);
        expect(response.status, host).toBe(403);
        expectJsonRpcError(response, -32000);
      }
      // The check guards /mcp only; GET and DELETE are refused with 403 before their 405.
      expect((await raw(t.url, { method: "GET", headers: { Host: "evil.example" } })).status).toBe(403);
      const rest = await raw(t.url, {
        method: "GET",
        path: "/mcp/resources/sdlc/core",
        headers: { Host: "evil.example" },
      });
      expect(rest.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("uses MCP_ALLOWED_HOSTS when set", async () => {
    const t = await startTestService(
      { LOG_LEVEL: "silent", MCP_ALLOWED_HOSTS: "mcp.example.com, Other.Test" },
      redis,
    );
    try {
      expect((await read(t.url, "mcp.example.com:8000")).status).toBe(200);
      expect((await read(t.url, "other.test")).status).toBe(200);
      expect((await read(t.url, `127.0.0.1:${t.service.port}`)).status).toBe(403);
      expect((await read(t.url, "evil.example")).status).toBe(403);
    } finally {
      await t.close();
    }
  });

  it("turns the check off with MCP_ALLOWED_HOSTS=*", async () => {
    const t = await startTestService({ LOG_LEVEL: "silent", MCP_ALLOWED_HOSTS: "*" }, redis);
    try {
      expect((await read(t.url, "evil.example")).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
