import { timingSafeEqual } from "node:crypto";
import express, { type Request, type RequestHandler, Router } from "express";
import { z } from "zod";
import { RESOURCE_TYPES, type ResourceType, ROUTE_PREFIX } from "../../lib/contract/resource-kinds.js";
import { HttpProblem } from "./http/problem.js";

/** A resource route's path, its kind captured. */
const RESOURCE_ROUTE = new RegExp(`^${ROUTE_PREFIX}/(${RESOURCE_TYPES.join("|")})\\b`);

/**
 * Fault injection for the runbook drills. Nothing here exists unless FAULTS_ENABLED=true:
 * the service does not even mount the control routes or read the fault headers otherwise,
 * so no header, body or endpoint can switch a fault on by accident in production.
 */
export interface FaultSettings {
  /** Added before every content file read (cache fills): the "slow disk" drill. */
  fileReadDelayMs: number;
  /** Added before every Redis call; counts against CACHE_TIMEOUT_MS like real latency. */
  cacheDelayMs: number;
  /** Probability (0..1) that a resource request answers 503 instead: the "errors" drill. */
  errorRate: number;
  /** Which resource routes the error rate applies to; empty means all. */
  errorResourceTypes: ResourceType[];
}

const settingsSchema = z
  .object({
    fileReadDelayMs: z.number().int().min(0).max(10_000),
    cacheDelayMs: z.number().int().min(0).max(10_000),
    errorRate: z.number().min(0).max(1),
    errorResourceTypes: z.array(z.enum(RESOURCE_TYPES as [ResourceType, ...ResourceType[]])),
  })
  .partial()
  .strict();

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  fileReadDelayMs: 0,
  cacheDelayMs: 0,
  errorRate: 0,
  errorResourceTypes: [],
});

/** Per-request fault headers (demos): only read when faults are enabled. */
export const FAULT_DELAY_HEADER = "x-fault-delay-ms";
export const FAULT_ERROR_HEADER = "x-fault-error";

export class FaultInjector {
  private settings: FaultSettings = { ...NO_FAULTS, errorResourceTypes: [] };

  constructor(private readonly token: string | undefined) {}

  current(): Readonly<FaultSettings> {
    return this.settings;
  }

  update(patch: unknown): FaultSettings {
    const parsed = settingsSchema.safeParse(patch);
    if (!parsed.success) {
      throw new HttpProblem({
        type: "/problems/invalid-fault",
        title: "Invalid fault settings",
        status: 400,
        detail: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      });
    }
    this.settings = { ...this.settings, ...parsed.data } as FaultSettings;
    return this.settings;
  }

  reset(): FaultSettings {
    this.settings = { ...NO_FAULTS, errorResourceTypes: [] };
    return this.settings;
  }

  fileReadDelay = (): Promise<void> => sleep(this.settings.fileReadDelayMs);
  cacheDelayMs = (): number => this.settings.cacheDelayMs;

  /** Loopback callers, or any caller with the FAULTS_TOKEN bearer token. */
  private mayControl(req: Request): boolean {
    const auth = req.headers.authorization;
    if (this.token && auth?.startsWith("Bearer ")) {
      const given = Buffer.from(auth.slice(7));
      const expected = Buffer.from(this.token);
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    }
    const address = req.socket.remoteAddress ?? "";
    return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
  }

  /** GET/PUT/DELETE /faults: read, change (partial JSON), clear. */
  controlRouter(): Router {
    const router = Router();
    const guard: RequestHandler = (req, _res, next) => {
      if (!this.mayControl(req)) {
        throw new HttpProblem({
          type: "/problems/forbidden",
          title: "Fault control refused",
          status: 403,
          detail: "fault control is only accepted from loopback or with the FAULTS_TOKEN bearer token",
        });
      }
      next();
    };
    router.get("/faults", guard, (_req, res) => {
      res.json(this.current());
    });
    router.put("/faults", guard, express.json({ limit: "4kb" }), (req, res) => {
      res.json(this.update(req.body));
    });
    router.delete("/faults", guard, (_req, res) => {
      res.json(this.reset());
    });
    return router;
  }

  /** Applies the error rate and the per-request headers to resource routes. */
  requestFaults(): RequestHandler {
    return async (req, _res, next) => {
      const type = RESOURCE_ROUTE.exec(req.path)?.[1] as
        | FaultSettings["errorResourceTypes"][number]
        | undefined;
      if (!type) return next();
      const headerDelay = Number(req.headers[FAULT_DELAY_HEADER]);
      if (Number.isInteger(headerDelay) && headerDelay > 0) await sleep(Math.min(headerDelay, 10_000));
      const { errorRate, errorResourceTypes } = this.settings;
      const applies = errorResourceTypes.length === 0 || errorResourceTypes.includes(type);
      if (
        req.headers[FAULT_ERROR_HEADER] !== undefined ||
        (applies && errorRate > 0 && Math.random() < errorRate)
      ) {
        throw new HttpProblem({
          type: "/problems/injected-fault",
          title: "Injected fault",
          status: 503,
          detail: "fault injection is enabled (FAULTS_ENABLED=true) and chose this request to fail",
        });
      }
      next();
    };
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
