/**
 * The compose k6 service, run as users run it (`docker compose --profile loadtest run k6`):
 * its own entrypoint and command, environment, user and mounts from docker-compose.yml. Only
 * the image differs: the k6 image cannot be obtained here, so the project's Node image runs
 * with a stand-in `k6` (loadtest/test/k6-standin/run.mjs on the real k6 script, bundled on
 * stand-in k6 modules) that does with handleSummary's result what k6 does. So this proves what
 * a real run found broken: the reports land in a per-run directory under ./perf-results/k6 on
 * the host, named by a testid of the run's own, and k6 is told the same testid.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { defaultComposeEnvFile } from "../../lib/harness/stack/containers.js";
import { dockerEngineAnswers } from "../../lib/harness/stack/index.js";
import { readPins } from "../../lib/pins.js";
import { REPO_ROOT } from "../../lib/repo.js";
import { bundleK6Script, STANDIN_RUNNER } from "../../loadtest/test/k6-standin.js";

const ENGINE = await dockerEngineAnswers();
if (!ENGINE) console.warn("k6 container test SKIPPED: no Docker engine answers on this machine");

const run = promisify(execFile);
const REPORTS = path.join(REPO_ROOT, "perf-results/k6");

describe.runIf(ENGINE)("the compose k6 service", () => {
  const project = `sdlc-k6-${process.pid}`;
  let dir: string | undefined;
  const created: string[] = [];

  afterAll(async () => {
    // `compose run` creates the project's network and named volumes too.
    await run("docker", ["compose", "-p", project, "down", "--volumes"], { cwd: REPO_ROOT }).catch(() => {});
    for (const report of created) await rm(path.join(REPORTS, report), { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runK6(env: Record<string, string>): Promise<{ stdout: string; reports: string[] }> {
    dir ??= await mkdtemp(path.join(tmpdir(), "k6-standin-"));
    await chmod(dir, 0o755);
    for (const profile of ["quick", "full"]) {
      await writeFile(path.join(dir, `${profile}.mjs`), await bundleK6Script(`${profile}.ts`));
    }
    await writeFile(path.join(dir, "run.mjs"), await readFile(STANDIN_RUNNER));
    await writeFile(path.join(dir, "k6"), '#!/bin/sh\nexec node /standin/run.mjs "$@"\n');
    await chmod(path.join(dir, "k6"), 0o755);
    const envFile = defaultComposeEnvFile();
    const override = path.join(dir, "k6.override.yml");
    await writeFile(
      override,
      stringify({
        services: {
          k6: {
            // The image the offline build (or .env) has for Node; everything else as shipped.
            image: readPins(path.join(REPO_ROOT, envFile)).NODE_IMAGE,
            volumes: [`${dir}:/standin:ro`, `${dir}/k6:/usr/local/bin/k6:ro`],
          },
        },
      }),
    );
    const before = new Set(await readdir(REPORTS).catch(() => [] as string[]));
    const { stdout } = await run(
      "docker",
      [
        "compose",
        "-p",
        project,
        "-f",
        "docker-compose.yml",
        "-f",
        override,
        "--env-file",
        envFile,
        "--profile",
        "loadtest",
        "run",
        "--rm",
        "--no-deps",
        "k6",
      ],
      {
        cwd: REPO_ROOT,
        // The engine the caller chose (DOCKER_HOST), and nothing else from this shell.
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/root",
          ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
          ...env,
        },
      },
    );
    const reports = (await readdir(REPORTS)).filter((name) => !before.has(name));
    created.push(...reports);
    return { stdout, reports };
  }

  it("writes handleSummary's reports into a new ./perf-results/k6/<testid>/ on the host, tagged with it", async () => {
    const { stdout, reports } = await runK6({});
    expect(reports).toHaveLength(1);
    const [testId] = reports as [string];
    expect(testId).toMatch(/^quick-\d{8}T\d{6}Z$/);
    expect(stdout).toContain(`k6 testid=${testId}`);
    expect(stdout).toContain(`testid=${testId}`);
    const files = (await readdir(path.join(REPORTS, testId))).sort();
    expect(files).toEqual(["report.html", "stats.csv", "summary.json", "summary.txt"]);
    const summary = JSON.parse(await readFile(path.join(REPORTS, testId, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ engine: "k6", profile: "quick", testId });
  }, 120_000);

  it("takes K6_PROFILE and K6_TEST_ID from the caller", async () => {
    const testId = `compose-test-${process.pid}`;
    const { reports } = await runK6({ K6_PROFILE: "full", K6_TEST_ID: testId });
    expect(reports).toEqual([testId]);
    const summary = JSON.parse(await readFile(path.join(REPORTS, testId, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ profile: "full", testId });
  }, 120_000);
});

if (!ENGINE) {
  describe("the compose k6 service", () => {
    it.skip("needs a Docker engine", () => {});
  });
}
