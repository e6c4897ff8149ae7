import { readdir, readFile, stat } from "node:fs/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MCP_PATH } from "../../lib/contract/mcp.js";
import { waitFor } from "../../lib/harness/ports.js";
import { type Exposition, sampleValue, scrape } from "../../test/support/exposition.js";
import { startTestService, type TestService } from "../../test/support/service.js";

import {
  CONTENT,
  PATTERN_TEMPLATE,
  restText,
  type ShippedFile,
  shippedFiles,
  TEMPLATE_TEMPLATE,
} from "./mcp-helpers.js";

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

  it("logged no server error and answered no request with a 5xx", async () => {
    expect(t.logs.filter((line) => line.level === "error" || line.level === "fatal")).toEqual([]);
    const exposition = await scrape(t.url);
    const serverErrors = exposition.samples.filter(
      (s) => s.name === "http_request_duration_seconds_count" && s.labels.status_code?.startsWith("5"),
    );
    expect(serverErrors.reduce((sum, s) => sum + s.value, 0)).toBe(0);
  });
});
