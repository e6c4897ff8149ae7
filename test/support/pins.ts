import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../infra/src/paths.js";

/**
 * The version pins of .env as docker compose and scripts/install/lib.sh read them: NAME=value
 * lines, `${NAME}` referring to an earlier line, comments and blank lines skipped.
 */
export function readPins(file = path.join(REPO_ROOT, ".env")): Readonly<Record<string, string>> {
  const pins: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const [, name, raw] = match as unknown as [string, string, string];
    pins[name] = raw.replace(/\$\{([A-Z0-9_]+)\}/g, (_, ref: string) => {
      const value = pins[ref];
      if (value === undefined)
        throw new Error(`${file}: ${name} refers to \${${ref}}, defined later or never`);
      return value;
    });
  }
  return pins;
}
