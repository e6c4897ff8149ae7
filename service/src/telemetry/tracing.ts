import { type Attributes, type Span, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";

/**
 * The service's own spans. This module only uses @opentelemetry/api: without a registered SDK
 * every call below is the API's no-op (a non-recording span, no export), so code paths that
 * trace cost a few object allocations when tracing is off.
 */
export const tracer = trace.getTracer("mcp-resource-service");

export interface SpanOptions {
  attributes?: Attributes;
  /**
   * Errors that are an expected outcome (a missing resource answered with 404): recorded as
   * an exception event, but the span status stays unset so they do not count as failures.
   */
  isExpected?: (error: unknown) => boolean;
}

/**
 * Runs `work` inside a new active span: child spans and log lines made during `work` belong
 * to it. An error thrown by `work` is recorded on the span (exception event, ERROR status)
 * and rethrown; the span always ends.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes: options.attributes ?? {} }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordError(span, error, options.isExpected?.(error) ?? false);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Records `error` on `span`: an exception event, and ERROR status unless it is an expected outcome. */
export function recordError(span: Span | undefined, error: unknown, expected = false): void {
  if (!span?.isRecording()) return;
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  if (!expected) span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/** The active span when it records (tracing on and sampled), for attributes and events. */
export function recordingSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

export interface TraceLabels {
  trace_id: string;
  span_id: string;
}

/**
 * Exemplar labels for a metric observation made in `span`: its trace and span ids when the
 * span is sampled (only sampled traces reach the backend an exemplar links to), else undefined.
 */
export function exemplarLabels(span: Span | undefined = trace.getActiveSpan()): TraceLabels | undefined {
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if ((traceFlags & TraceFlags.SAMPLED) === 0 || !trace.isSpanContextValid(span.spanContext()))
    return undefined;
  return { trace_id: traceId, span_id: spanId };
}

export interface LogTraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * Trace correlation for a log line: the active span's ids (the names instrumentation-pino
 * would use), or no fields outside a trace. Called by the logger's mixin for every line; the
 * result is always a new object, since pino merges the line's own fields into it.
 */
export function logTraceFields(): LogTraceFields {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!trace.isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`,
  };
}
