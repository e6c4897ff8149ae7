import { SCRAPE_INTERVAL } from "../../../lib/contract/stack.js";
import {
  DATASOURCE,
  GRAFANA_DASHBOARDS_PATH,
  JAEGER_COMPOSE_URL,
  JAEGER_DATASOURCE,
  PROMETHEUS_COMPOSE_URL,
} from "./datasources.js";

/**
 * Grafana provisioning: the Prometheus datasource under the fixed uid every dashboard panel
 * references, and a file provider for the generated dashboards. Compose mounts
 * infra/grafana/provisioning at /etc/grafana/provisioning and infra/grafana/dashboards at
 * GRAFANA_DASHBOARDS_PATH. `prometheusVersion` is the pinned one (.env PROMETHEUS_VERSION).
 */
export function datasourceProvisioning(prometheusVersion: string): unknown {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: DATASOURCE.uid,
        type: DATASOURCE.type,
        access: "proxy",
        url: PROMETHEUS_COMPOSE_URL,
        isDefault: true,
        editable: false,
        jsonData: {
          // $__rate_interval is derived from this; it must match the scrape interval.
          timeInterval: SCRAPE_INTERVAL,
          httpMethod: "POST",
          prometheusType: "Prometheus",
          // Grafana picks the query features it offers by this; the version compose runs.
          prometheusVersion,
          // Exemplars on latency panels carry the trace id (OpenMetrics scrape): a click opens
          // the request's trace in Jaeger.
          exemplarTraceIdDestinations: [
            { name: "trace_id", datasourceUid: JAEGER_DATASOURCE.uid, urlDisplayLabel: "Trace in Jaeger" },
          ],
        },
      },
      {
        name: "Jaeger",
        uid: JAEGER_DATASOURCE.uid,
        type: JAEGER_DATASOURCE.type,
        access: "proxy",
        url: JAEGER_COMPOSE_URL,
        editable: false,
      },
    ],
  };
}

export function dashboardProvisioning(): unknown {
  return {
    apiVersion: 1,
    providers: [
      {
        name: "sdlc-resource-stack",
        orgId: 1,
        folder: "SDLC resource stack",
        type: "file",
        // The files are generated and committed; UI edits would be lost on the next deploy.
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: GRAFANA_DASHBOARDS_PATH, foldersFromFilesStructure: false },
      },
    ],
  };
}
