import { execFileSync } from "node:child_process";

/**
 * Vitest's global setup: builds the WebAssembly kernels from their source (as `pnpm check`
 * does), so that `vitest run` on a fresh clone finds the generated module.
 */
export default function buildWasm(): void {
  const script = new URL("../packages/backend-cpu/scripts/build-wasm.ts", import.meta.url);
  execFileSync(process.execPath, ["--import", "tsx", script.pathname], { stdio: "inherit" });
}
