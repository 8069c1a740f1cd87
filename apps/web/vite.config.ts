import { defineConfig } from "vite";
import { mnistAsset } from "./src/data/mnist-asset-plugin.js";

/**
 * Cross-origin isolation (COOP + COEP), so that the page and its worker get SharedArrayBuffer
 * and wasm threads (`crossOriginIsolated`); the app loads nothing from other origins.
 */
const ISOLATED = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/** The web app: a page and a module worker; the MNIST asset is made from the `mnist` package. */
export default defineConfig({
  plugins: [mnistAsset()],
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 1500 },
  server: { host: "127.0.0.1", headers: ISOLATED },
  preview: { host: "127.0.0.1", headers: ISOLATED },
});
