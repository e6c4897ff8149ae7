import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("config", () => {
  it("has the contract's defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: "0.0.0.0",
      redisUrl: "redis://127.0.0.1:6379",
      cacheTtlSeconds: 300,
      defaultLanguage: "python",
      logLevel: "info",
      faultsEnabled: false,
    });
    expect(config.contentDir).toBe(path.join(ROOT, "service", "content"));
  });

  it.each([
    ["PORT", "eighty"],
    ["PORT", "70000"],
    // Parsed strictly: Number() would read these as 8080, 1000 and 80.
    ["PORT", " 0x1F90"],
    ["PORT", "1e3"],
    ["PORT", "80.0"],
    ["CACHE_TIMEOUT_MS", " 50"],
    ["CACHE_TTL_SECONDS", "0"],
    ["CACHE_TTL_SECONDS", "1.5"],
    ["REDIS_URL", "localhost:6379"],
    ["REDIS_URL", "redis://127.0.0.1:99999"],
    ["REDIS_URL", "redis://127.0.0.1:port"],
    ["REDIS_URL", "redis://127.0.0.1:0"],
    ["REDIS_URL", "redis://127.0.0.1:6379/cache"],
    ["DEFAULT_LANGUAGE", "../etc"],
    ["LOG_LEVEL", "verbose"],
    ["FAULTS_ENABLED", "maybe"],
  ])("rejects %s=%s naming the variable", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`${variable}=`));
  });

  it("refuses a headers timeout longer than the request timeout, naming it", () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "5000", HTTP_REQUEST_TIMEOUT_MS: "2000" })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS=.*must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it("names every bad variable at once", () => {
    try {
      loadConfig({ PORT: "x", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split("=")[0])).toEqual(["PORT", "LOG_LEVEL"]);
    }
  });

  it.each([
    ["CACHE_TTL_SECONDS", "-5"],
    ["REDIS_URL", "redis://127.0.0.1:99999"],
    // Well-formed, but only opening it shows that it is not there.
    ["CONTENT_DIR", "/nonexistent"],
  ])("stops the process with exit code 2 and a message naming %s=%s", (variable, value) => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "service/src/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", [variable]: value },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${variable}=`);
    expect(result.stderr).toContain("invalid configuration");
  });
});
