import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { ResourceNotFoundError, ResourceUnreadableError } from "../content-store.js";
import { HttpProblem, notFound, type Problem, sendProblem } from "./problem.js";
import { requestLog } from "./request-context.js";

/**
 * How an error raised while answering becomes the response, for the app's error handler and
 * for the resource lane (which answers before Express): a problem+json with the error's
 * status, 4xx for what the client sent, 500 (logged) for the rest.
 */
export function answerError(error: unknown, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  if (res.headersSent) {
    requestLog(req, logger).error({ err: error }, "error after response started");
    res.destroy();
    return;
  }
  sendProblem(res, problemFor(error, req, logger));
}

function problemFor(error: unknown, req: IncomingMessage, logger: Logger): Problem {
  if (error instanceof HttpProblem) return error.problem;
  if (error instanceof ResourceNotFoundError) return notFound(error.message).problem;
  if (error instanceof ResourceUnreadableError) {
    // The file is there but cannot be read: the server's fault, logged with the cause; the
    // client learns which resource, not the path or the error.
    requestLog(req, logger).error({ uri: error.ref.uri, err: error.cause }, error.message);
    return {
      type: "/problems/resource-unreadable",
      title: "Resource unreadable",
      status: 500,
      detail: `${error.ref.uri} exists but could not be read`,
    };
  }
  // Errors raised by Express itself for bad input (undecodable params, bad JSON) carry a 4xx status.
  const raised = error as { status?: unknown; statusCode?: unknown; message?: unknown } | undefined;
  const status =
    typeof raised?.status === "number"
      ? raised.status
      : typeof raised?.statusCode === "number"
        ? raised.statusCode
        : 500;
  if (status >= 400 && status < 500) {
    return {
      type: "/problems/bad-request",
      title: status === 400 ? "Bad request" : "Request rejected",
      status,
      detail: status === 400 ? "the request could not be decoded" : String(raised?.message ?? ""),
    };
  }
  requestLog(req, logger).error({ err: error }, "unhandled error");
  return { type: "about:blank", title: "Internal Server Error", status: 500 };
}
