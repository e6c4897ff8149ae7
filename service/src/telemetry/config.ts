/**
 * Whether the standard OTEL_* environment asks for tracing. Nothing else configures it:
 *
 * - `OTEL_SDK_DISABLED=true` turns it off whatever else is set;
 * - `OTEL_TRACES_EXPORTER` set to anything but `none` turns it on (`otlp`, `console`);
 *   set to `none` it stays off;
 * - otherwise an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns it on.
 *
 * With none of these the SDK is never imported, so tracing costs nothing.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (isTrue(env.OTEL_SDK_DISABLED)) return false;
  const exporters = list(env.OTEL_TRACES_EXPORTER);
  if (exporters.length > 0) return exporters.some((name) => name !== "none" && name !== "null");
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** The service name the SDK reports when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
export const DEFAULT_SERVICE_NAME = "mcp-resource-service";

/** True when the environment already names the service (the SDK then uses that name). */
export function serviceNameGiven(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SERVICE_NAME?.trim()) return true;
  return list(env.OTEL_RESOURCE_ATTRIBUTES).some((pair) => pair.split("=")[0]?.trim() === "service.name");
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
