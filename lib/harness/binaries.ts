import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../repo.js";

/**
 * Where scripts/install/go-tools.sh links the programs it builds at the versions of .env
 * (Prometheus 3.x, Alertmanager, Jaeger, ...): searched before PATH, so the tests run the
 * versions compose pins and not an older distribution package of the same name.
 */
export const TOOLS_BIN = path.join(REPO_ROOT, ".tools/bin");

/**
 * The first of `names` found in .tools/bin, then on PATH. Debian and the upstream images name
 * some binaries differently (prometheus-alertmanager vs alertmanager), and the helpers run on
 * both.
 */
export function findBinary(names: readonly string[]): string {
  const dirs = [TOOLS_BIN, ...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean)];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  throw new Error(`none of ${names.join(", ")} is installed; run npm run deps (scripts/install/deps.sh)`);
}

/** Debian bookworm's promtool (package prometheus, 2.42), which scripts/install/deps.sh installs. */
export const DISTRIBUTION_PROMTOOL = "/usr/bin/promtool";

export interface VersionedBinary {
  readonly path: string;
  /** As the binary reports it, e.g. "3.16.0" or "2.42.0+ds". */
  readonly version: string;
}

/** The version a Prometheus-style binary (promtool, amtool, ...) reports with --version. */
export function binaryVersion(binary: string): string {
  let output: string;
  try {
    output = execFileSync(binary, ["--version"], { encoding: "utf8" });
  } catch (error) {
    throw new Error(`${binary} does not run (${(error as Error).message}); run npm run deps`);
  }
  const match = / version (\S+)/.exec(output);
  if (!match?.[1]) throw new Error(`${binary} --version printed no version: ${output}`);
  return match[1];
}

/**
 * Every promtool the rules are checked with: the pinned one (Prometheus 3.x, what compose and
 * the native stack run) and the distribution's 2.42, so the rules, their unit tests and
 * prometheus.yml stay valid for users still on Prometheus 2.
 */
export function promtools(): VersionedBinary[] {
  return [findBinary(["promtool"]), DISTRIBUTION_PROMTOOL].map((binary) => ({
    path: binary,
    version: binaryVersion(binary),
  }));
}
