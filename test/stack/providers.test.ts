import { describe, expect, it } from "vitest";
import { chooseProvider, dockerEngineAnswers, startStack } from "../../lib/harness/stack/index.js";

describe("stack provider selection", () => {
  it("picks containers when an engine answers and native when none does", async () => {
    expect(await chooseProvider({}, async () => true)).toBe("containers");
    expect(await chooseProvider({}, async () => false)).toBe("native");
  });

  it("lets STACK_PROVIDER decide, and rejects anything else", async () => {
    expect(await chooseProvider({ STACK_PROVIDER: "native" }, async () => true)).toBe("native");
    expect(await chooseProvider({ STACK_PROVIDER: "containers" }, async () => false)).toBe("containers");
    await expect(chooseProvider({ STACK_PROVIDER: "k8s" })).rejects.toThrow(/STACK_PROVIDER=k8s/);
  });

  it("detects the engine on this machine the same way startStack() does", async () => {
    const answers = await dockerEngineAnswers();
    console.info(`docker engine answers: ${answers}`);
    expect(await chooseProvider({}, async () => answers)).toBe(answers ? "containers" : "native");
    if (!answers) {
      // Asking for containers without an engine fails fast with a message that says why.
      await expect(startStack({}, "containers")).rejects.toThrow(/needs a Docker engine/);
    }
  }, 30_000);
});
