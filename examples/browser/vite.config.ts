import { defineConfig } from "vite";

/**
 * Cross-origin isolation (COOP + COEP): optional, it gives the page SharedArrayBuffer, so the
 * CPU backend's WebAssembly memory can be shared (wasm threads) where workers run the kernels.
 */
const isolated = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/** A page bundled by Vite: loom needs no plugin and no special option. */
export default defineConfig({
  build: { target: "es2022" },
  server: { host: "127.0.0.1", headers: isolated },
  preview: { host: "127.0.0.1", headers: isolated },
});
