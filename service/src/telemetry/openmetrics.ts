import { type Metric, type OpenMetricsContentType, Registry } from "prom-client";

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/**
 * Content negotiation for /metrics: OpenMetrics (the only format that carries exemplars)
 * when the client asks for application/openmetrics-text at least as strongly as for
 * text/plain, as Prometheus does by default; the classic text format otherwise, including
 * for a missing Accept header or a bare wildcard.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetrics = 0;
  let text = 0;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    const qParam = params.find((param) => param.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === "application/openmetrics-text") openMetrics = Math.max(openMetrics, q);
    else if (type === "text/plain" || type === "text/*") text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}

/**
 * The registry's metrics in OpenMetrics 1.0 text format, with exemplars, without touching
 * the registry itself. prom-client can only render one format per registry, and its
 * OpenMetrics rendering renames counter objects in place (`x_total` -> `x`), which would
 * break the classic format served to the next scraper. So the same metric objects are
 * rendered through a throw-away OpenMetrics registry, and counter family names are fixed up
 * in the text: family `x` in HELP/TYPE, samples `x_total`, as OpenMetrics wants.
 */
export async function renderOpenMetrics(registry: Registry): Promise<string> {
  const view = new Registry<OpenMetricsContentType>();
  view.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // getMetricsAsArray() returns the metric objects themselves (typed as plain descriptions).
  const metrics = registry.getMetricsAsArray();
  for (const metric of metrics) view.registerMetric(metric as unknown as Metric);
  const families = await Promise.all(
    metrics.map(async (metric) => {
      const text = await view.getSingleMetricAsString(metric.name);
      // At run time `type` is the string prom-client writes in `# TYPE`.
      return String(metric.type) === "counter" ? fixCounterFamily(text, metric.name) : text;
    }),
  );
  return `${families.join("\n")}\n# EOF\n`;
}

/** prom-client writes a counter named `x_total` as family `x_total`, samples `x_total_total`. */
function fixCounterFamily(text: string, name: string): string {
  if (!name.endsWith("_total")) return text;
  const family = name.slice(0, -"_total".length);
  return text
    .split("\n")
    .map((line) => {
      if (line.startsWith(`# HELP ${name} `))
        return `# HELP ${family} ${line.slice(`# HELP ${name} `.length)}`;
      if (line === `# TYPE ${name} counter`) return `# TYPE ${family} counter`;
      if (line.startsWith(`${name}_total`)) return name + line.slice(`${name}_total`.length);
      return line;
    })
    .join("\n");
}
