import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { counterSeries, histogramSeries, SeriesCache } from "../src/metric-series.js";

/** Two registries with the same metrics: one observed through series, one through prom-client. */
function pair(enableExemplars = false) {
  const make = () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: "h_seconds",
      help: "h",
      labelNames: ["route", "status_code"],
      buckets: [0.005, 0.01, 0.1, 1],
      // prom-client refuses exemplars on a classic-text registry at construction; the
      // service registers that histogram by hand too (metrics.ts).
      registers: [],
      ...(enableExemplars ? { enableExemplars: true } : {}),
    });
    registry.registerMetric(histogram);
    const counter = new Counter({ name: "c_total", help: "c", labelNames: ["type"], registers: [registry] });
    return { registry, histogram, counter };
  };
  return { fast: make(), plain: make() };
}

const VALUES = [0.001, 0.005, 0.0051, 0.05, 0.5, 1, 3, 0.0001];

describe("metric series", () => {
  it("give the same exposition as prom-client's own observe and inc", async () => {
    const { fast, plain } = pair();
    const observe = histogramSeries(fast.histogram, { route: "/r", status_code: "200" });
    const other = histogramSeries(fast.histogram, { route: "/r", status_code: "404" });
    const inc = counterSeries(fast.counter, { type: "a" });
    for (const v of VALUES) {
      observe(v);
      other(v * 2);
      inc();
      plain.histogram.observe({ route: "/r", status_code: "200" }, v);
      plain.histogram.observe({ route: "/r", status_code: "404" }, v * 2);
      plain.counter.inc({ type: "a" });
    }
    expect(await fast.registry.metrics()).toBe(await plain.registry.metrics());
  });

  it("follow a reset (prom-client replaces its records) and zero-initialised series", async () => {
    const { fast, plain } = pair();
    fast.histogram.zero({ route: "/r", status_code: "200" });
    plain.histogram.zero({ route: "/r", status_code: "200" });
    const observe = histogramSeries(fast.histogram, { route: "/r", status_code: "200" });
    const inc = counterSeries(fast.counter, { type: "a" });
    for (const v of VALUES) observe(v);
    inc();
    fast.histogram.reset();
    fast.counter.reset();
    for (const v of VALUES.slice(0, 3)) {
      observe(v);
      inc();
      plain.histogram.observe({ route: "/r", status_code: "200" }, v);
      plain.counter.inc({ type: "a" });
    }
    expect(await fast.registry.metrics()).toBe(await plain.registry.metrics());
  });

  it("work on an exemplar-enabled histogram through its object form", async () => {
    const { fast, plain } = pair(true);
    const labels = { route: "/r", status_code: "200" };
    const observe = histogramSeries(fast.histogram, labels, (value) =>
      fast.histogram.observe({ labels, value }),
    );
    for (const v of VALUES) {
      observe(v);
      plain.histogram.observe({ labels, value: v });
    }
    expect(await fast.registry.metrics()).toBe(await plain.registry.metrics());
  });

  it("are made once per key", () => {
    let made = 0;
    const cache = new SeriesCache((key) => {
      made += 1;
      return key.length;
    });
    expect(cache.get("ab")).toBe(2);
    expect(cache.get("ab")).toBe(2);
    expect(made).toBe(1);
  });
});
