import { accessSync, constants } from "node:fs";
import path from "node:path";

/**
 * The first of `names` found on PATH. Debian and the upstream images name some binaries
 * differently (prometheus-alertmanager vs alertmanager), and the helpers run on both.
 */
export function findBinary(names: readonly string[]): string {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
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
  throw new Error(`none of ${names.join(", ")} is on PATH; run npm run deps (scripts/install-deps.sh)`);
}
