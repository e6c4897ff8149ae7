import { execFile } from "node:child_process";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion and returns its exit code and output; never throws on exit != 0.
 * `input` is written to its stdin (for tools that read stdin, e.g. `promtool check metrics`).
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`${command} could not run: ${error.message}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
