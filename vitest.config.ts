import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";

/**
 * Debian's Chromium (apt-get install chromium), never a downloaded browser. WebGL2 runs on
 * SwiftShader, with float render targets (EXT_color_buffer_float).
 */
export const CHROMIUM = process.env["LOOM_CHROMIUM"] ?? "/usr/bin/chromium";
/** Chromium's flags for every test that drives it (the browser project and the web app's end-to-end test). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
];

export default defineConfig({
  test: {
    globalSetup: ["./scripts/build-wasm.setup.ts"],
    projects: [
      {
        test: {
          name: "node",
          include: [
            "packages/**/src/**/*.test.ts",
            "apps/**/src/**/*.test.ts",
            "examples/**/*.test.ts",
            "scripts/*.test.ts",
          ],
          exclude: ["**/*.browser.test.ts", "**/node_modules/**"],
          pool: "forks",
          testTimeout: 60_000,
          setupFiles: ["./scripts/vitest-validate.setup.ts"],
        },
      },
      {
        test: {
          // Builds, packs and installs the published packages into a fresh npm project and
          // compiles, runs and bundles a program there (what a user does): about a minute.
          name: "pack",
          include: ["packages/loom/pack/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: "browser",
          // Browser-only tests, and the shared suites (`*.suite.test.ts`: describeBackends runs
          // their WebGL case here and their CPU cases in the node project).
          include: [
            "packages/**/src/**/*.browser.test.ts",
            "apps/**/src/**/*.browser.test.ts",
            "packages/**/src/**/*.suite.test.ts",
          ],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
