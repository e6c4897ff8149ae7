import { readdir, readFile, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  isMcpReadSuccess,
  MCP_PATH,
  MCP_PROTOCOL_VERSION,
  MCP_REQUEST_HEADERS,
  mcpReadResourceRequest,
} from "../../lib/contract/mcp.js";
import { waitFor } from "../../lib/harness/ports.js";
import { type RedisProcess, startRedis } from "../../lib/harness/redis.js";
import { type Exposition, sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");
const PATTERN_TEMPLATE = "sdlc://patterns/{language}/{name}";
const TEMPLATE_TEMPLATE = "sdlc://templates/{artifact_type}";

interface ShippedFile {
  uri: string;
  file: string;
  /** The REST route serving the same resource. */
  route: string;
}

/** Every resource file shipped in service/content, with its URI and REST route. */
async function shippedFiles(): Promise<ShippedFile[]> {
  const files: ShippedFile[] = [
    { uri: "sdlc://core", file: `${CONTENT}/sdlc/core.md`, route: "/mcp/resources/sdlc/core" },
  ];
  for (const language of (await readdir(`${CONTENT}/patterns`)).sort()) {
    for (const entry of (await readdir(`${CONTENT}/patterns/${language}`)).sort()) {
      const name = entry.replace(/\.md$/, "");
      files.push({
        uri: `sdlc://patterns/${language}/${name}`,
        file: `${CONTENT}/patterns/${language}/${entry}`,
        route: `/mcp/resources/patterns/${name}?language=${language}`,
      });
    }
  }
  for (const entry of (await readdir(`${CONTENT}/templates`)).sort()) {
    const name = entry.replace(/\.md$/, "");
    files.push({
      uri: `sdlc://templates/${name}`,
      file: `${CONTENT}/templates/${entry}`,
      route: `/mcp/resources/templates/${name}`,
    });
  }
  return files;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw HTTP request, so tests control every header (Host included) and the exact body bytes. */
async function raw(
  baseUrl: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const url = new URL(options.path ?? MCP_PATH, baseUrl);
  return await new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "POST", headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const JSON_HEADERS = {
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
};
const readBody = (uri: string) =>
  JSON.stringify({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri } });

/** The JSON-RPC error the SDK's transport (or our 405) answers with at the HTTP level. */
function expectJsonRpcError(response: RawResponse, code: number): void {
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  expect(JSON.parse(response.text)).toMatchObject({ jsonrpc: "2.0", error: { code }, id: null });
}

async function restText(baseUrl: string, route: string): Promise<string> {
  const response = await fetch(`${baseUrl}${route}`);
  expect(response.status, route).toBe(200);
  const body = (await response.json()) as { contents: Array<{ text: string }> };
  return body.contents[0]?.text as string;
}

describe("MCP over Streamable HTTP", () => {
  let t: TestService;
  let redis: ReturnType<typeof createClient>;
  const clients: Client[] = [];

  async function connect(): Promise<Client> {
    const client = new Client({ name: "mcp-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${t.url}${MCP_PATH}`)));
    clients.push(client);
    return client;
  }

  /** Reads that must fail: the JSON-RPC error code and message the client saw. */
  async function readError(client: Client, uri: string): Promise<McpError> {
    const error = await client.readResource({ uri }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, uri).toBeInstanceOf(McpError);
    return error as McpError;
  }

  beforeAll(async () => {
    // Debug logs on: the suite ends by checking that nothing was logged as a server error.
    t = await startTestService({ LOG_LEVEL: "debug", CACHE_TTL_SECONDS: "300" });
    redis = createClient({ url: t.redis.url });
    await redis.connect();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await redis?.close();
    await t?.close();
  });

  it("advertises resources and completions only: no subscriptions, no list-changed", async () => {
    const client = await connect();
    expect(client.getServerCapabilities()).toEqual({ resources: {}, completions: {} });
    expect(client.getServerVersion()).toMatchObject({ name: "mcp-resource-service" });
    expect(client.getInstructions()).toContain("sdlc://core");
  });

  it("lists the SDLC core, every pattern file and every template with title, description, mime type and size", async () => {
    const client = await connect();
    const { resources, nextCursor } = await client.listResources();
    expect(nextCursor).toBeUndefined();
    const files = await shippedFiles();
    expect(resources.map((r) => r.uri).sort()).toEqual(files.map((f) => f.uri).sort());
    for (const resource of resources) {
      const file = files.find((f) => f.uri === resource.uri) as ShippedFile;
      const text = await readFile(file.file, "utf8");
      const heading = /^# (.+)$/m.exec(text)?.[1];
      expect(resource, resource.uri).toEqual({
        uri: file.uri,
        name: expect.any(String),
        title: heading,
        description: expect.stringMatching(/\S/),
        mimeType: "text/markdown",
        size: (await stat(file.file)).size,
      });
    }
    expect(resources.find((r) => r.uri === "sdlc://templates/prd")?.name).toBe("prd");
    expect(resources.find((r) => r.uri === "sdlc://patterns/go/testing")?.name).toBe("go/testing");
  });

  it("lists the two resource templates", async () => {
    const client = await connect();
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual([PATTERN_TEMPLATE, TEMPLATE_TEMPLATE]);
    for (const template of resourceTemplates) {
      expect(template).toMatchObject({
        name: expect.any(String),
        title: expect.any(String),
        description: expect.any(String),
        mimeType: "text/markdown",
      });
    }
  });

  it("reads every shipped resource with text byte-identical to the REST route's", async () => {
    const client = await connect();
    for (const file of await shippedFiles()) {
      const result = await client.readResource({ uri: file.uri });
      expect(result.contents, file.uri).toHaveLength(1);
      const [content] = result.contents;
      expect(content).toEqual({
        uri: file.uri,
        mimeType: "text/markdown",
        text: await restText(t.url, file.route),
      });
      expect((content as { text: string }).text).toBe(await readFile(file.file, "utf8"));
    }
  });

  it("completes languages, pattern names and artifact types", async () => {
    const client = await connect();
    const complete = async (uri: string, name: string, value: string, context?: Record<string, string>) =>
      (
        await client.complete({
          ref: { type: "ref/resource", uri },
          argument: { name, value },
          ...(context ? { context: { arguments: context } } : {}),
        })
      ).completion;

    const languages = (await readdir(`${CONTENT}/patterns`)).sort();
    expect(await complete(PATTERN_TEMPLATE, "language", "")).toEqual({
      values: languages,
      total: languages.length,
      hasMore: false,
    });
    expect((await complete(PATTERN_TEMPLATE, "language", "py")).values).toEqual(["python"]);
    expect((await complete(PATTERN_TEMPLATE, "name", "t", { language: "go" })).values).toEqual([
      "testing",
      "tooling",
    ]);
    const goNames = (await readdir(`${CONTENT}/patterns/go`)).map((f) => f.replace(/\.md$/, "")).sort();
    expect((await complete(PATTERN_TEMPLATE, "name", "", { language: "go" })).values).toEqual(goNames);
    expect((await complete(PATTERN_TEMPLATE, "name", "", { language: "cobol" })).values).toEqual([]);
    expect((await complete(PATTERN_TEMPLATE, "name", "co")).values).toEqual(["core"]);
    expect((await complete(TEMPLATE_TEMPLATE, "artifact_type", "r")).values).toEqual([
      "release-notes",
      "research",
      "runbook",
    ]);
    const templates = (await readdir(`${CONTENT}/templates`)).map((f) => f.replace(/\.md$/, "")).sort();
    expect((await complete(TEMPLATE_TEMPLATE, "artifact_type", "")).values).toEqual(templates);
    expect((await complete(TEMPLATE_TEMPLATE, "other", "")).values).toEqual([]);
    expect((await complete(TEMPLATE_TEMPLATE, "artifact_type", "../")).values).toEqual([]);

    await expect(complete("sdlc://nothing/{x}", "x", "")).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
    await expect(
      client.complete({ ref: { type: "ref/prompt", name: "p" }, argument: { name: "a", value: "" } }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
  });

  it("answers invalid URIs and bad template variables with -32602, touching no file, key or metric", async () => {
    const client = await connect();
    await redis.flushAll();
    const before = await scrape(t.url);
    const invalid: Array<[uri: string, message: RegExp]> = [
      [
        "sdlc://patterns/python/..%2F..%2Fsdlc%2Fcore",
        /name "\.\.%2F\.\.%2Fsdlc%2Fcore" is not a valid name/,
      ],
      ["sdlc://patterns/..%2Fsdlc/core", /language "\.\.%2Fsdlc" is not a valid name/],
      ["sdlc://patterns/%2e%2e/core", /language "%2e%2e" is not a valid name/],
      ["sdlc://templates/..%2F..%2F..%2Fetc%2Fpasswd", /artifact_type .* is not a valid name/],
      ["sdlc://templates/%2E%2E%2Fsdlc%2Fcore", /artifact_type .* is not a valid name/],
      ["sdlc://patterns/python/Core", /name "Core" is not a valid name/],
      ["sdlc://patterns/Python/core", /language "Python" is not a valid name/],
      ["sdlc://templates/Core", /artifact_type "Core" is not a valid name/],
      ["sdlc://templates/..", /artifact_type "\.\." is not a valid name/],
      ["sdlc://templates/prd%00", /not a valid name/],
      ["sdlc://templates/", /artifact_type "" is not a valid name/],
      [`sdlc://templates/${"a".repeat(65)}`, /not a valid name/],
      ["sdlc://patterns/python/../../sdlc/core", /Unknown resource URI/],
      ["sdlc://patterns/python/core/extra", /Unknown resource URI/],
      ["sdlc://patterns/core", /Unknown resource URI/],
      ["sdlc://templates/prd/", /Unknown resource URI/],
      ["sdlc://core/", /Unknown resource URI/],
      ["sdlc://core?x=1", /Unknown resource URI/],
      ["sdlc://CORE", /Unknown resource URI/],
      ["sdlc://sdlc/core", /Unknown resource URI/],
      ["SDLC://core", /Unknown resource URI/],
      ["file:///etc/passwd", /Unknown resource URI/],
      ["http://127.0.0.1/mcp/resources/sdlc/core", /Unknown resource URI/],
      ["not a uri", /Unknown resource URI/],
      ["", /Unknown resource URI/],
    ];
    for (const [uri, message] of invalid) {
      const error = await readError(client, uri);
      expect(error.code, uri).toBe(ErrorCode.InvalidParams);
      expect(error.message, uri).toMatch(message);
    }
    const after = await scrape(t.url);
    for (const name of [
      "mcp_resource_cache_misses_total",
      "mcp_resource_cache_hits_total",
      "mcp_resource_file_reads_total",
    ]) {
      expect(sampleValue(after, name) - sampleValue(before, name), name).toBe(0);
    }
    expect(await redis.keys("*")).toEqual([]);
  });

  it("answers well-formed URIs without a file with -32602 naming the resource", async () => {
    const client = await connect();
    for (const uri of [
      "sdlc://templates/nonexistent",
      "sdlc://patterns/python/nonexistent",
      "sdlc://patterns/cobol/core",
    ]) {
      const error = await readError(client, uri);
      expect(error.code, uri).toBe(ErrorCode.InvalidParams);
      expect(error.message).toContain(`Resource not found: "${uri}"`);
      expect(error.data).toEqual({ uri });
    }
  });

  describe("cache and metrics: one code path with REST", () => {
    const delta = (before: Exposition, after: Exposition, name: string, labels: Record<string, string>) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);

    it("misses, fills the contract's key, then hits on a second read, visible in the metrics", async () => {
      const client = await connect();
      await redis.flushAll();
      const before = await scrape(t.url);
      await client.readResource({ uri: "sdlc://templates/adr" });
      await waitFor("cache fill", async () => (await redis.exists("resource:templates:adr")) === 1);
      const second = await client.readResource({ uri: "sdlc://templates/adr" });
      expect(second.contents[0]).toMatchObject({
        text: await readFile(`${CONTENT}/templates/adr.md`, "utf8"),
      });
      const after = await scrape(t.url);
      const templates = { resource_type: "templates" };
      expect(delta(before, after, "mcp_resource_cache_misses_total", templates)).toBe(1);
      expect(delta(before, after, "mcp_resource_cache_hits_total", templates)).toBe(1);
      expect(delta(before, after, "mcp_resource_file_reads_total", templates)).toBe(1);
      expect(
        delta(before, after, "mcp_resource_loading_latency_seconds_count", {
          ...templates,
          cache_result: "hit",
        }),
      ).toBe(1);
      expect(await redis.keys("*")).toEqual(["resource:templates:adr"]);
    });

    it("shares keys with REST: a REST fill is an MCP hit, and the other way round", async () => {
      const client = await connect();
      await redis.flushAll();
      const before = await scrape(t.url);
      const rest = await fetch(`${t.url}/mcp/resources/patterns/errors?language=go`);
      expect(rest.headers.get("x-cache")).toBe("MISS");
      await waitFor("REST fill", async () => (await redis.exists("resource:patterns:go:errors")) === 1);
      await client.readResource({ uri: "sdlc://patterns/go/errors" });

      await client.readResource({ uri: "sdlc://core" });
      await waitFor("MCP fill", async () => (await redis.exists("resource:sdlc:core")) === 1);
      const restCore = await fetch(`${t.url}/mcp/resources/sdlc/core`);
      expect(restCore.headers.get("x-cache")).toBe("HIT");

      const after = await scrape(t.url);
      expect(delta(before, after, "mcp_resource_cache_hits_total", { resource_type: "patterns" })).toBe(1);
      expect(delta(before, after, "mcp_resource_cache_misses_total", { resource_type: "patterns" })).toBe(1);
      expect(delta(before, after, "mcp_resource_cache_hits_total", { resource_type: "sdlc" })).toBe(1);
      expect(delta(before, after, "mcp_resource_cache_misses_total", { resource_type: "sdlc" })).toBe(1);
      expect((await redis.keys("*")).sort()).toEqual(["resource:patterns:go:errors", "resource:sdlc:core"]);
    });

    it("labels HTTP metrics with the route template /mcp", async () => {
      await connect();
      const exposition = await scrape(t.url);
      expect(
        sampleValue(exposition, "http_request_duration_seconds_count", { method: "POST", route: "/mcp" }),
      ).toBeGreaterThan(0);
    });
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
