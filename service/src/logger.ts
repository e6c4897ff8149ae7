import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";
import { logTraceFields } from "./telemetry/tracing.js";

/** Structured JSON logs on stdout; `destination` lets tests capture lines. */
export function createLogger(level: Config["logLevel"], destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "mcp-resource-service" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // trace_id/span_id/trace_flags of the active span on every line logged inside a traced
      // request; nothing outside one, or when tracing is off.
      mixin: logTraceFields,
    },
    destination,
  );
}
