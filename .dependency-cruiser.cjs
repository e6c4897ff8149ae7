/**
 * The repository's layout as rules (docs/architecture.md "Layout and dependency rules"),
 * checked by `npm run check` (depcruise). Production code is everything outside test folders;
 * tests may import what they test.
 */
const TOP = "(service|infra|loadtest|scripts|deploy)";
const TEST = "(^|/)test/";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "An import cycle: split the shared part into a module both import.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "production-imports-no-test",
      comment: "Production code never imports from test folders.",
      severity: "error",
      from: { pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: "service-imports-only-the-contract",
      comment:
        "The service depends on nothing of the repository but lib/contract (the image ships only that).",
      severity: "error",
      from: { path: "^service/src/" },
      to: { path: `^(lib/(?!contract/)|${TOP}/(?!src/))|^(infra|loadtest|scripts)/` },
    },
    {
      name: "lib-imports-no-top-level-folder",
      comment: "lib/ is the bottom layer: the folders above import it, never the other way.",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: `^(${TOP}|test)/` },
    },
    {
      name: "contract-imports-only-the-contract",
      comment:
        "lib/contract holds plain facts: it imports nothing else of the repository (k6 and the image load it).",
      severity: "error",
      from: { path: "^lib/contract/" },
      to: { path: "^(?!lib/contract/)[^/]+/", pathNot: "^node_modules/" },
    },
    {
      name: "only-lib-across-top-level-folders",
      comment: "What two top-level folders share lives in lib/; nothing else is imported across them.",
      severity: "error",
      from: { path: `^${TOP}/`, pathNot: TEST },
      to: { path: `^${TOP}/`, pathNot: "^$1/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.tools|\\.tmp)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
