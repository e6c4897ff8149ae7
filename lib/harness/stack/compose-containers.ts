/** Containers of a compose project, found by the labels compose gives them. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SENTINEL_MASTER_NAME, SENTINEL_PORT } from "../../contract/stack.js";

const run = promisify(execFile);

/** Container ids of one compose service of a project, by container number (1-based). */
export async function containersOf(projectName: string, service: string): Promise<Map<number, string>> {
  const { stdout } = await run("docker", [
    "ps",
    "--all",
    "--filter",
    `label=com.docker.compose.project=${projectName}`,
    "--filter",
    `label=com.docker.compose.service=${service}`,
    "--format",
    '{{.ID}} {{.Label "com.docker.compose.container-number"}}',
  ]);
  const byNumber = new Map<number, string>();
  for (const line of stdout.split("\n").filter(Boolean)) {
    const [id, number] = line.split(" ");
    byNumber.set(Number(number), String(id));
  }
  return byNumber;
}

/** The address of a container on the project's network (Linux routes bridge addresses from the host). */
export async function containerAddress(id: string): Promise<string> {
  const { stdout } = await run("docker", [
    "inspect",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
    id,
  ]);
  const address = stdout.trim().split(" ")[0];
  if (!address) throw new Error(`container ${id} has no network address (not running?)`);
  return address;
}

/** The Sentinel overlay's Sentinels (docker-compose.sentinel.yml); the master is asked of each in turn. */
export const SENTINEL_SERVICES = ["redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"] as const;

/**
 * The node the overlay's Sentinels name master (nodes announce their compose names), asking the
 * next Sentinel when one is down or names none. `compose` runs `docker compose` for the project.
 */
export async function sentinelMasterName(compose: (...args: string[]) => Promise<string>): Promise<string> {
  let lastError: unknown;
  for (const sentinel of SENTINEL_SERVICES) {
    try {
      const answer = await compose(
        "exec",
        "-T",
        sentinel,
        "redis-cli",
        "-p",
        String(SENTINEL_PORT),
        "SENTINEL",
        "get-master-addr-by-name",
        SENTINEL_MASTER_NAME,
      );
      const [name] = answer.split("\n").map((line) => line.trim());
      if (name) return name;
      lastError = new Error(`${sentinel} answered ${JSON.stringify(answer)}`);
    } catch (error) {
      lastError = error; // that Sentinel is down: ask the next
    }
  }
  throw new Error(`no Sentinel named the master: ${String(lastError)}`);
}
