/**
 * How Grafana is wired into the stack: the provisioned datasources the dashboards reference
 * by uid, the compose addresses they point at, and where dashboards are mounted.
 */

/** Grafana's provisioned Prometheus datasource; dashboards reference it by this fixed uid. */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

/** Grafana's provisioned Jaeger datasource, the target of exemplar links. */
export const JAEGER_DATASOURCE = { type: "jaeger", uid: "jaeger" } as const;

/** In-cluster (docker compose) address of Jaeger's query API. */
export const JAEGER_COMPOSE_URL = "http://jaeger:16686";

/** In-cluster (docker compose) address of Prometheus, used by the Grafana datasource. */
export const PROMETHEUS_COMPOSE_URL = "http://prometheus:9090";

/** Where Grafana's file provider reads dashboards; compose mounts infra/grafana/dashboards here. */
export const GRAFANA_DASHBOARDS_PATH = "/var/lib/grafana/dashboards";
