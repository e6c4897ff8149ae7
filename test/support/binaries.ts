import { accessSync, constants } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../infra/src/paths.js";

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
