/** Helpers of the MCP tests: the shipped files, raw POSTs, JSON-RPC error checks. */
import { readdir } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { expect } from "vitest";
import { MCP_PATH } from "../../lib/contract/mcp.js";

export const CONTENT = path.resolve(import.meta.dirname, "../content");
export const PATTERN_TEMPLATE = "sdlc://patterns/{language}/{name}";
export const TEMPLATE_TEMPLATE = "sdlc://templates/{artifact_type}";

export interface ShippedFile {
  uri: string;
  file: string;
  /** The REST route serving the same resource. */
  route: string;
}

/** Every resource file shipped in service/content, with its URI and REST route. */
export async function shippedFiles(): Promise<ShippedFile[]> {
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

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw HTTP request, so tests control every header (Host included) and the exact body bytes. */
export async function raw(
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

export const JSON_HEADERS = {
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
};
export const readBody = (uri: string) =>
  JSON.stringify({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri } });

/** The JSON-RPC error the SDK's transport (or our 405) answers with at the HTTP level. */
export function expectJsonRpcError(response: RawResponse, code: number): void {
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  expect(JSON.parse(response.text)).toMatchObject({ jsonrpc: "2.0", error: { code }, id: null });
}

export async function restText(baseUrl: string, route: string): Promise<string> {
  const response = await fetch(`${baseUrl}${route}`);
  expect(response.status, route).toBe(200);
  const body = (await response.json()) as { contents: Array<{ text: string }> };
  return body.contents[0]?.text as string;
}
