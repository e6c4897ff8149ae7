/**
 * perf:clean - removes what the perf tasks leave behind: perf-results/ (reports, profiles,
 * benchmark raw data) and stray *.cpuprofile files at the repository root. The committed
 * baseline reports in docs/benchmarks/ are kept.
 */
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../lib/repo.js";

const root = REPO_ROOT;
const removed: string[] = [];
rmSync(path.join(root, "perf-results"), { recursive: true, force: true });
removed.push("perf-results/");
for (const f of readdirSync(root)) {
  if (f.endsWith(".cpuprofile")) {
    rmSync(path.join(root, f), { force: true });
    removed.push(f);
  }
}
process.stdout.write(`perf:clean: removed ${removed.join(", ")}\n`);
