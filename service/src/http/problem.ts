import type { ServerResponse } from "node:http";

/** An RFC 9457 problem; `type` is a relative URI documented in docs/architecture.md. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = "HttpProblem";
  }
}

export const invalidName = (param: string, detail: string) =>
  new HttpProblem({
    type: "/problems/invalid-resource-name",
    title: "Invalid resource name",
    status: 400,
    detail: `${param} ${detail}; names match ^[a-z0-9][a-z0-9_-]{0,63}$`,
    param,
  });

export const notFound = (detail: string) =>
  new HttpProblem({ type: "/problems/not-found", title: "Resource not found", status: 404, detail });

export function sendProblem(res: ServerResponse, problem: Problem): void {
  // Express keeps the URL as received in originalUrl; a request answered before Express has url.
  const url = (res.req as { originalUrl?: string }).originalUrl ?? res.req.url;
  const body = JSON.stringify({ ...problem, instance: problem.instance ?? url });
  res.statusCode = problem.status;
  res.setHeader("Content-Type", "application/problem+json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(body);
}
