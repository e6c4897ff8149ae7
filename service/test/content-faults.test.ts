import { execFileSync } from "node:child_process";
import { cp, mkdtemp, open, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MCP_PATH, MCP_REQUEST_HEADERS } from "../../lib/contract/mcp.js";
import { waitFor } from "../../lib/harness/ports.js";
import { startTestService, type TestService } from "../../test/support/service.js";

const CONTENT = path.resolve(import.meta.dirname, "../content");

/**
 * One file the service cannot read must cost that file only. The probe made a template
 * unreadable with chmod 000; these tests run as root, which ignores file modes, so they use
 * entries that no privilege can read:
 * - a sparse regular file larger than 2 GiB: listed like any file (stat says regular), but
 *   Node refuses to read it whole (ERR_FS_FILE_TOO_LARGE), an I/O error like EACCES;
 * - a Unix socket where the SDLC core should be: open(2) fails with ENXIO for anyone, and the
 *   core is the one resource read without being listed first;
 * - a FIFO there: open(2) without O_NONBLOCK waits for a writer forever.
 */

async function copyContent(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "content-"));
  await cp(CONTENT, dir, { recursive: true });
  return dir;
}

interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

async function rpc(t: TestService, method: string, params: Record<string, unknown> = {}): Promise<RpcAnswer> {
  const response = await fetch(`${t.url}${MCP_PATH}`, {
    method: "POST",
    headers: MCP_REQUEST_HEADERS,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as RpcAnswer;
}

const listedUris = (answer: RpcAnswer) =>
  ((answer.result?.resources ?? []) as Array<{ uri: string }>).map((resource) => resource.uri);

describe("a template that cannot be read (sparse file over 2 GiB)", () => {
  let dir: string;
  let t: TestService;
  beforeAll(async () => {
    dir = await copyContent();
    const handle = await open(path.join(dir, "templates", "broken.md"), "w");
    await handle.truncate(3 * 1024 ** 3);
    await handle.close();
    t = await startTestService({ LOG_LEVEL: "info", CONTENT_DIR: dir });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves resources/list and completion/complete working for everything else", async () => {
    const list = await rpc(t, "resources/list");
    expect(list.error).toBeUndefined();
    expect(listedUris(list)).toContain("sdlc://templates/prd");
    expect(listedUris(list)).toContain("sdlc://core");
    const completion = await rpc(t, "completion/complete", {
      ref: { type: "ref/resource", uri: "sdlc://templates/{artifact_type}" },
      argument: { name: "artifact_type", value: "p" },
    });
    expect(completion.error).toBeUndefined();
    expect((completion.result?.completion as { values: string[] } | undefined)?.values).toContain("prd");
  });

  it("answers that file with a logged 5xx problem and every other file as before", async () => {
    const response = await fetch(`${t.url}/mcp/resources/templates/broken`);
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 500, type: "/problems/resource-unreadable" });
    // The client learns which resource, not where it lives or why.
    expect(JSON.stringify(problem)).not.toContain(dir);
    expect(
      t.logs.some(
        (line) => line.level === "error" && /sdlc:\/\/templates\/broken/.test(JSON.stringify(line)),
      ),
    ).toBe(true);
    expect((await fetch(`${t.url}/mcp/resources/templates/prd`)).status).toBe(200);
    const read = await rpc(t, "resources/read", { uri: "sdlc://templates/broken" });
    expect(read.error?.code).toBe(-32603);
    expect((await rpc(t, "resources/read", { uri: "sdlc://templates/prd" })).error).toBeUndefined();
  });
});

describe("an SDLC core that cannot be opened (a Unix socket)", () => {
  let dir: string;
  let t: TestService;
  let socketServer: Server;
  beforeAll(async () => {
    dir = await copyContent();
    await rm(path.join(dir, "sdlc", "core.md"));
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(path.join(dir, "sdlc", "core.md"), resolve));
    t = await startTestService({ LOG_LEVEL: "info", CONTENT_DIR: dir });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => socketServer.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("lists every other resource, and logs why the core is missing", async () => {
    const list = await rpc(t, "resources/list");
    expect(list.error).toBeUndefined();
    expect(listedUris(list)).not.toContain("sdlc://core");
    expect(listedUris(list)).toContain("sdlc://templates/prd");
    expect(
      t.logs.some(
        (line) =>
          line.level === "warn" &&
          /sdlc:\/\/core/.test(JSON.stringify(line)) &&
          /ENXIO/.test(String(line.err)),
      ),
    ).toBe(true);
    expect((await fetch(`${t.url}/mcp/resources/sdlc/core`)).status).toBe(500);
  });
});

describe("an SDLC core that is a FIFO", () => {
  let dir: string;
  let t: TestService;
  beforeAll(async () => {
    dir = await copyContent();
    await rm(path.join(dir, "sdlc", "core.md"));
    execFileSync("mkfifo", [path.join(dir, "sdlc", "core.md")]);
    t = await startTestService({ LOG_LEVEL: "info", CONTENT_DIR: dir });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("is not a resource, and waiting for a writer never holds up a request", async () => {
    const core = await fetch(`${t.url}/mcp/resources/sdlc/core`, { signal: AbortSignal.timeout(3_000) });
    expect(core.status).toBe(404);
    const list = await rpc(t, "resources/list");
    expect(listedUris(list)).not.toContain("sdlc://core");
    expect(listedUris(list)).toContain("sdlc://templates/prd");
  });
});

describe("readiness checks that content is servable", () => {
  it("turns 503 when the content directory is emptied, and 200 again when content is back", async () => {
    const dir = await copyContent();
    const t = await startTestService({ LOG_LEVEL: "silent", CONTENT_DIR: dir });
    const readiness = async () => {
      const response = await fetch(`${t.url}/readyz`);
      return {
        status: response.status,
        body: (await response.json()) as { checks: Record<string, unknown> },
      };
    };
    try {
      expect((await readiness()).status).toBe(200);
      for (const entry of await readdir(dir))
        await rm(path.join(dir, entry), { recursive: true, force: true });
      const empty = await waitFor(
        "readiness to notice the empty content directory",
        async () => {
          const now = await readiness();
          return now.status === 503 ? now : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(empty.body.checks.content).toBe("empty");
      await cp(CONTENT, dir, { recursive: true });
      await waitFor("readiness back", async () => (await readiness()).status === 200, {
        timeoutMs: 10_000,
        intervalMs: 200,
      });
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
