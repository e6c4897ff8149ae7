import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";

/** Structured JSON logs on stdout; `destination` lets tests capture lines. */
export function createLogger(level: Config["logLevel"], destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "mcp-resource-service" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
