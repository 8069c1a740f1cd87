import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The package dependency arrows of DESIGN.md as a no-restricted-imports rule:
 * bans every @loom/* package but `allowed`, and relative imports that reach
 * into another package's src.
 */
function onlyLoom(who, allowed) {
  const names = allowed.map((a) => a.replace("@loom/", ""));
  const others =
    names.length > 0 ? `^@loom/(?!(${names.join("|")})(/node|/browser|/inspect)?$)` : "^@loom/";
  const what = allowed.length > 0 ? `only ${allowed.join(", ")}` : "no @loom package";
  return {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            regex: others,
            message: `${who} may import ${what} (DESIGN.md: arrows point one way only).`,
          },
          {
            regex: "^(\\.\\./)+([\\w-]+/src|packages|apps)(/|$)",
            message: "Import another package by its @loom/* name, not by a relative path.",
          },
        ],
      },
    ],
  };
}

/** The library packages an app, an example or a test builds on (the umbrella re-exports them). */
const LIBRARIES = [
  "@loom/graph",
  "@loom/ops",
  "@loom/backend-cpu",
  "@loom/backend-webgl",
  "@loom/models",
];

export default defineConfig(
  {
    ignores: [
      "**/node_modules/",
      "**/dist/",
      "**/coverage/",
      "**/.dumps/",
      "out/",
      "docs-build/",
      "**/generated/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Sources run in Node (CLI, tests, scripts) and in browsers (WebGL backend, web app).
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  { files: ["packages/graph/**"], rules: onlyLoom("@loom/graph", []) },
  { files: ["packages/ops/**"], rules: onlyLoom("@loom/ops", ["@loom/graph"]) },
  {
    files: ["packages/backend-cpu/**", "packages/backend-webgl/**"],
    rules: onlyLoom("A backend", ["@loom/graph"]),
  },
  { files: ["packages/models/**"], rules: onlyLoom("@loom/models", ["@loom/graph", "@loom/ops"]) },
  { files: ["packages/onnx/**"], rules: onlyLoom("@loom/onnx", ["@loom/graph", "@loom/ops"]) },
  {
    // The umbrella re-exports the library packages (not @loom/testing).
    files: ["packages/loom/src/**"],
    rules: onlyLoom("@loom/loom", LIBRARIES),
  },
  { files: ["apps/**"], rules: onlyLoom("An app", [...LIBRARIES, "@loom/onnx"]) },
  {
    // Examples use what a user installs: the published packages, never @loom/testing.
    files: ["examples/**"],
    rules: onlyLoom("An example", ["@loom/loom", ...LIBRARIES, "@loom/onnx"]),
  },
  {
    // The CLI's `inspect --format inspection|html` builds the web app's inspection data model;
    // `export`/`import` and the ONNX test report use @loom/onnx.
    files: ["apps/demo/**"],
    rules: onlyLoom("The CLI", [...LIBRARIES, "@loom/onnx", "@loom/web"]),
  },
  {
    // Tests, and @loom/testing (imported by tests only), may import every package: one suite
    // runs on every backend. Library source above keeps its arrows; the relative-path ban stays.
    files: [
      "**/*.test.ts",
      "packages/testing/**",
      "packages/*/src/testing/**",
      "apps/*/src/testing/**",
    ],
    rules: onlyLoom("A test", [...LIBRARIES, "@loom/onnx", "@loom/testing"]),
  },
  prettier,
);
