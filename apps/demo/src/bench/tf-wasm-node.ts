import { createRequire } from "node:module";
import path from "node:path";

let wasmReady: Promise<void> | undefined;

/**
 * Registers tfjs's WASM backend, reading its .wasm binaries from the package's dist folder on
 * disk (in Node, Emscripten's loader reads a local path with fs, so nothing is fetched).
 */
export const loadWasm = (): Promise<void> =>
  (wasmReady ??= (async () => {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(dist + path.sep);
  })());
