import { defineConfig } from "vite";
import { mnistAsset } from "./src/data/mnist-asset-plugin.js";

/** The web app: a page and a module worker; the MNIST asset is made from the `mnist` package. */
export default defineConfig({
  plugins: [mnistAsset()],
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 1500 },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
