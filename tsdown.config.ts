import { fileURLToPath } from "node:url";
import { defineConfig, type UserConfig } from "tsdown";

const TSCONFIG = fileURLToPath(new URL("tsconfig.json", import.meta.url));

/**
 * The published build of every library package: ESM JavaScript plus bundled `.d.ts` in each
 * package's `dist/`. The source's extensionless relative imports (`./table`) only resolve in a
 * bundler, so each entry is bundled into one file (plain tsc output would not load in Node ESM
 * or type-check under `moduleResolution: NodeNext`). Dependencies and the other @loom packages
 * stay imports; nothing from node_modules is inlined. Not minified: the CPU backend's worker
 * threads evaluate the source text of its kernel factories (`kernels/tasks.ts`), which must stay
 * self-contained functions. In the workspace the packages still export `./src/index.ts`;
 * `publishConfig` points `pnpm pack`/`publish` at `dist/`.
 */
const lib = (dir: string, entry: Record<string, string>, extra: UserConfig = {}): UserConfig => ({
  name: `@loom/${dir}`,
  cwd: `packages/${dir}`,
  entry,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outDir: "dist",
  clean: true,
  sourcemap: false,
  dts: { tsconfig: TSCONFIG },
  deps: {
    neverBundle: [/^@loom\//, /^fp-ts(\/|$)/, "mnist", "onnx-proto", /^node:/],
    onlyBundle: [],
  },
  report: false,
  ...extra,
});

export default defineConfig([
  lib("graph", { index: "src/index.ts" }),
  lib("ops", { index: "src/index.ts" }),
  lib("backend-cpu", { index: "src/index.ts" }),
  // Its options name DOM types (HTMLCanvasElement, OffscreenCanvas): a Node program that
  // imports it, through @loom/loom too, must not need "DOM" in its own `lib` to type-check.
  lib(
    "backend-webgl",
    { index: "src/index.ts" },
    { banner: { dts: '/// <reference lib="dom" />' } },
  ),
  lib("models", { index: "src/index.ts", browser: "src/browser.ts", node: "src/node.ts" }),
  lib("onnx", { index: "src/index.ts", node: "src/node.ts" }),
  lib("loom", { index: "src/index.ts" }),
]);
