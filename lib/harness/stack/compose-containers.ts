/** Containers of a compose project, found by the labels compose gives them. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

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
