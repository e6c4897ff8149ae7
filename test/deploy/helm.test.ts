import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseDuration } from "../../lib/contract/duration.js";
import { JOBS } from "../../lib/contract/stack.js";
import { REPO_ROOT } from "../../lib/repo.js";
import {
  CHART,
  helm,
  kubeconform,
  type Manifest,
  MONITORING_KINDS,
  only,
  parseManifests,
  pins,
  prometheusJob,
  render,
  renderText,
  schemaDir,
  selects,
  validateMonitoringObject,
  valueSets,
} from "./chart.js";

/**
 * The Helm chart as CI checks it, with the pinned tools and nothing from a network: helm lint
 * and template, kubeconform against the Kubernetes schemas of .env's KUBERNETES_VERSION, the
 * Prometheus Operator's CRD models, promtool on the PrometheusRule. No Kubernetes API server
 * runs here: what a cluster would do with the objects beyond their schemas is not tested.
 */

const dirs: string[] = [];
async function scratch(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const sets = await valueSets();

describe("helm lint --strict", () => {
  it.each(sets)("passes with the $name values", async ({ valueFiles }) => {
    const result = await helm(["lint", "--strict", CHART, ...valueFiles.flatMap((f) => ["--values", f])]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("fails on values the chart's schema forbids", async () => {
    // The chart sets REDIS_URL itself; a second one in env would silently lose.
    const result = await helm(["lint", "--strict", CHART, "--set", "env.REDIS_URL=redis://elsewhere:6379"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/schema/);
  });
});

describe("rendered value sets validate offline", () => {
  let schemas: string;
  beforeAll(async () => {
    schemas = await schemaDir();
  }, 300_000);

  it.each(sets)(
    "$name: kubeconform -strict accepts every Kubernetes object, the CRD models the monitoring ones",
    async ({ name, valueFiles }) => {
      const text = await renderText({ valueFiles });
      const file = path.join(await scratch("helm-render-"), `${name}.yaml`);
      await writeFile(file, text);
      const manifests = parseManifests(text);
      const monitoring = manifests.filter((m) => (MONITORING_KINDS as readonly string[]).includes(m.kind));

      const summary = await kubeconform(schemas, file);
      expect(summary.code, summary.output).toBe(0);
      expect(summary).toMatchObject({
        valid: manifests.length - monitoring.length,
        invalid: 0,
        errors: 0,
        skipped: monitoring.length,
      });
      for (const manifest of monitoring) validateMonitoringObject(manifest);
    },
  );

  it("kubeconform rejects a rendered Deployment with a misspelt field", async () => {
    const manifests = await render();
    const deployment = only(manifests, "Deployment") as {
      spec: { template: { spec: { containers: object[] } } };
    };
    const container = deployment.spec.template.spec.containers[0] as Record<string, unknown>;
    container.securityContext = { ...(container.securityContext as object), readOnlyRootFileSystem: true };
    const file = path.join(await scratch("helm-bad-"), "bad.yaml");
    await writeFile(file, stringify(deployment));
    const summary = await kubeconform(schemas, file);
    expect(summary.code).not.toBe(0);
    expect(summary.output).toMatch(/readOnlyRootFileSystem/);
  });

  it("kubeconform has a schema for every kind the chart renders apart from the CRDs (none is skipped silently)", async () => {
    const file = path.join(await scratch("helm-unknown-"), "unknown.yaml");
    await writeFile(
      file,
      stringify({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "x" } }),
    );
    const summary = await kubeconform(schemas, file);
    expect(summary.code).not.toBe(0);
    expect(summary.errors).toBe(1);
  });

  it("the CRD models reject a ServiceMonitor whose interval Prometheus cannot parse", async () => {
    const monitor = only(await render(), "ServiceMonitor");
    expect(() => validateMonitoringObject(monitor)).not.toThrow();
    monitor.spec.endpoints[0].interval = "15 seconds";
    expect(() => validateMonitoringObject(monitor)).toThrow(/interval/);
  });
});

describe("value sets render what they promise", () => {
  const kinds = (manifests: Manifest[]) => manifests.map((m) => m.kind).sort();

  it("defaults: the service, its monitoring and dashboards, no HPA, no HAProxy", async () => {
    const manifests = await render();
    expect(kinds(manifests)).toEqual(
      [
        "ConfigMap",
        "ConfigMap",
        "Deployment",
        "PodDisruptionBudget",
        "PrometheusRule",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
      ].sort(),
    );
    expect(only(manifests, "Deployment").spec.replicas).toBe(2);
    expect(only(manifests, "PodDisruptionBudget").spec).toMatchObject({ maxUnavailable: 1 });
  });

  it("hpa: an autoscaling/v2 CPU HPA owns the replica count, PDB by minAvailable", async () => {
    const manifests = await render({ valueFiles: [path.join(CHART, "ci/hpa-values.yaml")] });
    const hpa = only(manifests, "HorizontalPodAutoscaler");
    const deployment = only(manifests, "Deployment");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    expect(hpa.spec.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
      },
    ]);
    expect(deployment.spec.replicas).toBeUndefined();
    expect(only(manifests, "PodDisruptionBudget").spec).toEqual(
      expect.objectContaining({ minAvailable: 2, selector: deployment.spec.selector }),
    );
  });

  it("monitoring off: no ServiceMonitor, PrometheusRule or dashboards", async () => {
    const manifests = await render({ valueFiles: [path.join(CHART, "ci/monitoring-off-values.yaml")] });
    expect(
      manifests.filter((m) => ["ServiceMonitor", "PrometheusRule", "ConfigMap"].includes(m.kind)),
    ).toEqual([]);
  });

  it("without the monitoring CRDs in the cluster the Prometheus Operator objects are left out", async () => {
    const manifests = await render({ monitoringCrds: false });
    expect(manifests.filter((m) => (MONITORING_KINDS as readonly string[]).includes(m.kind))).toEqual([]);
    expect(manifests.filter((m) => m.kind === "ConfigMap")).toHaveLength(2);
  });

  it("external Redis with auth: the password comes from the Secret into REDIS_URL, never into the manifest", async () => {
    const manifests = await render({ valueFiles: [path.join(CHART, "ci/external-redis-auth-values.yaml")] });
    const env = only(manifests, "Deployment").spec.template.spec.containers[0].env as Array<{
      name: string;
      value?: string;
      valueFrom?: unknown;
    }>;
    const names = env.map((e) => e.name);
    // Kubernetes expands $(REDIS_PASSWORD) only from variables defined earlier in the list.
    expect(names.indexOf("REDIS_PASSWORD")).toBeLessThan(names.indexOf("REDIS_URL"));
    expect(env.find((e) => e.name === "REDIS_PASSWORD")?.valueFrom).toEqual({
      secretKeyRef: { name: "mcp-redis", key: "password" },
    });
    expect(env.find((e) => e.name === "REDIS_URL")?.value).toBe(
      "rediss://mcp-resource-service:$(REDIS_PASSWORD)@cache.example.internal:6380/0",
    );
    expect(env.find((e) => e.name === "CACHE_TTL_SECONDS")?.value).toBe("600");
    expect(names).toEqual(expect.arrayContaining(["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"]));
    expect(new Set(names).size).toBe(names.length);
  });

  it("sentinel: the service talks to the HAProxy Service, which forwards to the listed nodes' master", async () => {
    const manifests = await render({ valueFiles: [path.join(CHART, "ci/sentinel-values.yaml")] });
    const haproxyName = "mcp-sdlc-resource-stack-redis-haproxy";
    const service = only(manifests, "Service", haproxyName);
    const haproxy = only(manifests, "Deployment", haproxyName);
    const env = only(manifests, "Deployment", "mcp-sdlc-resource-stack").spec.template.spec.containers[0].env;
    expect(env.find((e: { name: string }) => e.name === "REDIS_URL").value).toBe(
      `redis://:$(REDIS_PASSWORD)@${haproxyName}:6379`,
    );
    expect(selects(service.spec.selector, haproxy.spec.template.metadata.labels)).toBe(true);
    const config = only(manifests, "ConfigMap", haproxyName).data?.["haproxy.cfg"] ?? "";
    expect(config).toMatch(/tcp-check expect string role:master/);
    expect(config.match(/^\s*server node\d+ redis-node-\d\.redis-headless:6379$/gm)).toHaveLength(3);
    expect(haproxy.spec.template.metadata.annotations["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
    // HAProxy counts every node as up until checked: no clients before the checks have run.
    const values = parse(await readFile(path.join(CHART, "values.yaml"), "utf8")).redis.sentinel.haproxy;
    const firstVerdictMs = parseDuration(values.checkInterval) * values.fall;
    const probe = haproxy.spec.template.spec.containers[0].readinessProbe;
    expect(probe.initialDelaySeconds * 1000).toBeGreaterThan(firstVerdictMs);
  });

  it("sentinel mode without nodes is refused", async () => {
    const result = await helm(["template", "x", CHART, "--set", "redis.sentinel.enabled=true"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/redis\.sentinel\.nodes/);
  });
});

describe("the service's pod", () => {
  let manifests: Manifest[];
  // biome-ignore lint/suspicious/noExplicitAny: the rendered pod spec
  let pod: any;
  // biome-ignore lint/suspicious/noExplicitAny: the rendered container
  let container: any;
  beforeAll(async () => {
    manifests = await render();
    pod = only(manifests, "Deployment").spec.template.spec;
    container = pod.containers[0];
  });

  it("runs hardened: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no API token", () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(only(manifests, "ServiceAccount").automountServiceAccountToken).toBe(false);
    expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
  });

  it("is probed on /healthz and /readyz of its http port 8000", () => {
    expect(container.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.resources.requests).toEqual({ cpu: "100m", memory: "128Mi" });
  });

  it("drains before SIGTERM and is killed only after the service's own shutdown deadline", () => {
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const preStop = container.lifecycle.preStop.sleep.seconds as number;
    expect(preStop).toBeGreaterThan(0);
    // main.ts exits by itself SHUTDOWN_TIMEOUT_MS + 2 s after SIGTERM at the latest.
    const serviceDeadlineMs = preStop * 1000 + Number(env.SHUTDOWN_TIMEOUT_MS) + 2_000;
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(serviceDeadlineMs);
    expect(env).toMatchObject({ PORT: "8000", HOST: "0.0.0.0", REDIS_URL: "redis://redis:6379" });
  });

  it("spreads over zones and nodes, ScheduleAnyway, per rollout", () => {
    const selector = only(manifests, "Deployment").spec.selector.matchLabels;
    expect(pod.topologySpreadConstraints).toEqual(
      ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
        topologyKey,
        maxSkew: 1,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
      })),
    );
  });

  it("runs the image docker compose builds, at the service's version", async () => {
    const compose = parse(await readFile(path.join(REPO_ROOT, "docker-compose.yml"), "utf8"));
    const composeImage = String(compose.services["mcp-resource-service"].image);
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8"));
    const chart = parse(await readFile(path.join(CHART, "Chart.yaml"), "utf8"));
    expect(chart.appVersion).toBe(pkg.version);
    expect(container.image).toBe(`${composeImage.split(":")[0]}:${pkg.version}`);
  });

  it("pins HAProxy to .env's HAPROXY_VERSION", async () => {
    const values = parse(await readFile(path.join(CHART, "values.yaml"), "utf8"));
    const image = values.redis.sentinel.haproxy.image;
    expect(`${image.repository}:${image.tag}`).toBe(`haproxy:${pins.HAPROXY_VERSION}-alpine`);
  });
});

describe("Prometheus labels: job and instance", () => {
  /** The Service the ServiceMonitor selects, checked link by link down to the container port. */
  function scrapedService(manifests: Manifest[]): { monitor: Manifest; service: Manifest } {
    const monitor = only(manifests, "ServiceMonitor");
    const services = manifests.filter(
      (m) => m.kind === "Service" && selects(monitor.spec.selector.matchLabels, m.metadata.labels),
    );
    expect(services).toHaveLength(1);
    const service = services[0] as Manifest;
    expect(monitor.spec.namespaceSelector.matchNames).toEqual(["sdlc"]);
    const endpointPort = monitor.spec.endpoints[0].port;
    const servicePort = service.spec.ports.find((p: { name: string }) => p.name === endpointPort);
    expect(servicePort).toBeDefined();
    const deployment = manifests.find(
      (m) => m.kind === "Deployment" && selects(service.spec.selector, m.spec.template.metadata.labels),
    );
    const containerPorts = deployment?.spec.template.spec.containers[0].ports.map(
      (p: { name: string }) => p.name,
    );
    expect(containerPorts).toContain(servicePort.targetPort);
    return { monitor, service };
  }

  it.each(["mcp", "prod", "mcp-resource-service", "sdlc-resource-stack"])(
    "release %s: every pod is scraped as the job the generated rules match",
    async (release) => {
      const { monitor, service } = scrapedService(await render({ release }));
      expect(prometheusJob(monitor, service)).toBe(JOBS.service);
      expect(monitor.spec.endpoints[0]).toMatchObject({ path: "/metrics", interval: "15s" });
      expect(monitor.spec.endpoints[0].relabelings).toEqual([
        { sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "instance", action: "replace" },
      ]);
    },
  );

  it("without the jobLabel the job would be the release-dependent Service name", async () => {
    const { monitor, service } = scrapedService(await render({ release: "prod" }));
    const { jobLabel: _, ...withoutJobLabel } = monitor.spec;
    expect(prometheusJob({ ...monitor, spec: withoutJobLabel }, service)).toBe("prod-sdlc-resource-stack");
  });

  it("ServiceMonitor and PrometheusRule carry the labels kube-prometheus-stack selects by", async () => {
    const manifests = await render({ set: ["monitoring.selectorLabels.release=monitoring"] });
    for (const kind of MONITORING_KINDS)
      expect(only(manifests, kind).metadata.labels?.release).toBe("monitoring");
  });
});

/** Every rule group of the generated rule files on disk, by group name. */
