import { readdir } from "node:fs/promises";
import path from "node:path";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { parseAllDocuments } from "yaml";
import { CHART_DIR } from "../../infra/src/helm/chart-files.js";
import { findBinary } from "../../lib/harness/binaries.js";
import { readPins } from "../../lib/pins.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { run } from "../support/exec.js";

/** Rendering and validating the Helm chart with the pinned helm, kubeconform and schemas. */

export const CHART = path.join(REPO_ROOT, CHART_DIR);
export const pins = readPins();

/** The Prometheus Operator kinds kubeconform has no schema for; the npm CRD models check them. */
export const MONITORING_KINDS = ["ServiceMonitor", "PrometheusRule"] as const;

/** What a cluster with kube-prometheus-stack (the Prometheus Operator's CRDs) offers. */
const MONITORING_API_VERSIONS = MONITORING_KINDS.map((kind) => `monitoring.coreos.com/v1/${kind}`);

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects of many kinds, read by the tests
  readonly spec?: any;
  readonly data?: Record<string, string>;
  readonly automountServiceAccountToken?: boolean;
}

export interface RenderOptions {
  readonly release?: string;
  readonly valueFiles?: readonly string[];
  readonly set?: readonly string[];
  /** Render as for a cluster with the monitoring CRDs (default true). */
  readonly monitoringCrds?: boolean;
  readonly chartDir?: string;
}

/** The `helm template` arguments for one render. */
export function templateArgs(options: RenderOptions = {}): string[] {
  return [
    "template",
    options.release ?? "mcp",
    options.chartDir ?? CHART,
    "--namespace",
    "sdlc",
    "--kube-version",
    pins.KUBERNETES_VERSION ?? "",
    ...(options.monitoringCrds === false
      ? []
      : MONITORING_API_VERSIONS.flatMap((v) => ["--api-versions", v])),
    ...(options.valueFiles ?? []).flatMap((file) => ["--values", file]),
    ...(options.set ?? []).flatMap((value) => ["--set", value]),
  ];
}

export async function helm(args: readonly string[]) {
  return await run(findBinary(["helm"]), args);
}

/** Renders the chart; throws with helm's message when it refuses. */
export async function renderText(options: RenderOptions = {}): Promise<string> {
  const result = await helm(templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.stdout;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

export async function render(options: RenderOptions = {}): Promise<Manifest[]> {
  return parseManifests(await renderText(options));
}

export function only(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0] as Manifest;
}

/** The value sets CI renders: the chart's defaults and every ci/*-values.yaml. */
export async function valueSets(): Promise<Array<{ name: string; valueFiles: string[] }>> {
  const files = (await readdir(path.join(CHART, "ci"))).filter((f) => f.endsWith("-values.yaml")).sort();
  return [
    { name: "defaults", valueFiles: [] },
    ...files.map((f) => ({ name: f.replace(/-values\.yaml$/, ""), valueFiles: [path.join(CHART, "ci", f)] })),
  ];
}

/** .tools/kubernetes-json-schema, fetched and converted by the install step when missing. */
export async function schemaDir(): Promise<string> {
  const result = await run("bash", [path.join(REPO_ROOT, "scripts/install/k8s-schemas.sh")], {
    timeoutMs: 300_000,
  });
  if (result.code !== 0) throw new Error(`k8s-schemas.sh failed: ${result.stderr}`);
  return result.stdout.trim();
}

export interface KubeconformSummary {
  readonly code: number;
  readonly output: string;
  readonly valid: number;
  readonly invalid: number;
  readonly errors: number;
  readonly skipped: number;
}

/**
 * kubeconform -strict against the pinned offline schemas (no network: a kind without a local
 * schema is an error), skipping only the monitoring CRDs.
 */
export async function kubeconform(schemas: string, manifestFile: string): Promise<KubeconformSummary> {
  const result = await run(findBinary(["kubeconform"]), [
    "-strict",
    "-summary",
    "-kubernetes-version",
    pins.KUBERNETES_VERSION ?? "",
    "-schema-location",
    `${schemas}/{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json`,
    "-skip",
    MONITORING_KINDS.join(","),
    manifestFile,
  ]);
  const output = result.stdout + result.stderr;
  const count = (label: string) => Number(new RegExp(`${label}: (\\d+)`).exec(output)?.[1] ?? Number.NaN);
  return {
    code: result.code,
    output,
    valid: count("Valid"),
    invalid: count("Invalid"),
    errors: count("Errors"),
    skipped: count("Skipped"),
  };
}

/** The Prometheus Operator's CRD schemas (@kubernetes-models/prometheus-operator); throws on a violation. */
export function validateMonitoringObject(manifest: Manifest): void {
  if (manifest.kind === "ServiceMonitor") new ServiceMonitor(manifest as never).validate();
  else if (manifest.kind === "PrometheusRule") new PrometheusRule(manifest as never).validate();
  else throw new Error(`${manifest.kind} is not a monitoring.coreos.com kind`);
}

/**
 * The `job` the Prometheus Operator gives the targets of `monitor` found through `service`:
 * the value of the Service label that spec.jobLabel names, else the Service's name.
 */
export function prometheusJob(monitor: Manifest, service: Manifest): string {
  const label = monitor.spec?.jobLabel as string | undefined;
  return (label && service.metadata.labels?.[label]) || service.metadata.name;
}

/** matchLabels semantics: every selector label present with the same value. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> = {}) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}
