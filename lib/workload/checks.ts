/** Response checks of the workload: the status and the contract's body shape. k6 loads it. */
import type { Expectation } from "./plan.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks one response against the contract. Returns undefined when it passes, else a short
 * reason that is also the failure's label in reports ("status 500", "body: ...").
 */
export function checkResponse(expect: Expectation, status: number, body: string): string | undefined {
  if (status !== 200) return `status ${status}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "body: not JSON";
  }
  if (!isObject(parsed)) return "body: not a JSON object";
  if (expect.kind === "mcp") {
    // JSON-RPC: errors come back as 200 with an `error` member.
    if (isObject(parsed.error)) return `mcp error ${String(parsed.error.code)}`;
    if (!isObject(parsed.result)) return "body: JSON-RPC result missing";
    return checkResponse({ kind: "resource", uri: expect.uri }, status, JSON.stringify(parsed.result));
  }
  if (expect.kind === "listing") {
    const resources = parsed.resources;
    if (!Array.isArray(resources) || resources.length === 0) return "body: resources[] missing or empty";
    for (const r of resources) {
      if (!isObject(r) || typeof r.uri !== "string" || typeof r.name !== "string") {
        return "body: resources[] entry without uri/name";
      }
    }
    return undefined;
  }
  const contents = parsed.contents;
  if (!Array.isArray(contents) || contents.length === 0) return "body: contents[] missing or empty";
  const first: unknown = contents[0];
  if (!isObject(first)) return "body: contents[0] not an object";
  if (first.uri !== expect.uri) return "body: contents[0].uri mismatch";
  if (typeof first.mimeType !== "string" || first.mimeType === "")
    return "body: contents[0].mimeType missing";
  if (typeof first.text !== "string" || first.text === "") return "body: contents[0].text missing";
  return undefined;
}
