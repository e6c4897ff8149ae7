import { getContainerRuntimeClient } from "testcontainers";
import { startContainersStack } from "./containers.js";
import { startNativeStack } from "./native.js";
import type { ProviderName, Stack, StackOptions } from "./types.js";

export type { NativeStack } from "./native.js";
export { MAX_SERVICE_REPLICAS, redisTopology, serviceReplicas } from "./topology.js";
export type { ComponentName, ProviderName, Stack, StackOptions, StackUrls } from "./types.js";

/** True when a Docker engine answers within `timeoutMs` (testcontainers' own discovery). */
export async function dockerEngineAnswers(timeoutMs = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      getContainerRuntimeClient().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * STACK_PROVIDER=native|containers decides; otherwise containers when a Docker engine
 * answers, native when not. Options that only the native stack can honour (scaled rule
 * files, ports) pick native.
 */
export async function chooseProvider(
  env: NodeJS.ProcessEnv = process.env,
  engineAnswers: () => Promise<boolean> = dockerEngineAnswers,
): Promise<ProviderName> {
  const forced = env.STACK_PROVIDER;
  if (forced === "native" || forced === "containers") return forced;
  if (forced) throw new Error(`STACK_PROVIDER=${forced}: must be native or containers`);
  return (await engineAnswers()) ? "containers" : "native";
}

export async function startStack(options: StackOptions = {}, provider?: ProviderName): Promise<Stack> {
  const chosen = provider ?? (await chooseProvider());
  if (chosen === "containers") {
    if (!(await dockerEngineAnswers())) {
      throw new Error(
        "the containers provider needs a Docker engine, and none answers; use STACK_PROVIDER=native",
      );
    }
    return await startContainersStack(options);
  }
  return await startNativeStack(options);
}
