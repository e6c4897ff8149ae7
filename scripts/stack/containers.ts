import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from "testcontainers";
import { REPO_ROOT } from "../../infra/src/paths.js";
import type { ComponentName, Stack, StackOptions } from "./types.js";

/** Compose service names, by the component names drills use. */
const COMPOSE_SERVICES: Record<ComponentName, string> = {
  redis: "redis",
  service: "mcp-resource-service",
  "redis-exporter": "redis-exporter",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  "alert-webhook": "alert-webhook",
  jaeger: "jaeger",
};

/**
 * The stack from docker-compose.yml through testcontainers' DockerComposeEnvironment, waiting
 * on every service's own healthcheck. Needs a Docker engine. Compose publishes the
 * user-facing ports on the host, so the URLs are the contract's.
 */
export async function startContainersStack(options: StackOptions = {}): Promise<Stack> {
  if (options.ruleFiles || options.ports) {
    throw new Error(
      "the containers provider runs docker-compose.yml as it is: ruleFiles and ports are native-only",
    );
  }
  let environment: StartedDockerComposeEnvironment | undefined = await new DockerComposeEnvironment(
    REPO_ROOT,
    "docker-compose.yml",
  )
    .withEnvironmentFile(".env")
    .withEnvironment(options.serviceEnv ?? {})
    .withBuild()
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(180_000)
    .up();
  const started = environment;
  const containerOf = (name: ComponentName) => {
    const service = COMPOSE_SERVICES[name];
    const container =
      started.getContainer(`${service}-1`) ??
      // docker-compose v1 names containers <project>_<service>_1
      started.getContainer(`${service}_1`);
    return container;
  };
  return {
    provider: "containers",
    urls: {
      service: "http://127.0.0.1:8000",
      prometheus: "http://127.0.0.1:9090",
      alertmanager: "http://127.0.0.1:9093",
      alertWebhook: "http://127.0.0.1:5001",
      grafana: "http://127.0.0.1:3000",
      jaeger: "http://127.0.0.1:16686",
    },
    async stopComponent(name) {
      await containerOf(name).stop();
    },
    async startComponent(name) {
      await containerOf(name).restart();
    },
    async stop() {
      await environment?.down({ removeVolumes: true });
      environment = undefined;
    },
  };
}
