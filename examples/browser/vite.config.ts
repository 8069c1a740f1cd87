import { defineConfig } from "vite";

/** A page bundled by Vite: loom needs no plugin and no special option. */
export default defineConfig({
  build: { target: "es2022" },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
