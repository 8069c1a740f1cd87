import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright";
import { chromium } from "playwright";
import { build, preview } from "vite";
import { CHROMIUM, CHROMIUM_ARGS } from "../../../../vitest.config";

/** A Vite app built, served on 127.0.0.1 and opened in Debian's Chromium. */
export interface ServedApp {
  /** The preview server's address (`http://127.0.0.1:PORT/`). */
  readonly url: string;
  readonly browser: Browser;
  /** How long the build took, in seconds. */
  readonly buildSeconds: number;
  /** Closes the browser and the server and removes the build. */
  readonly close: () => Promise<void>;
}

/**
 * Builds the Vite app at `root` into a temporary folder, serves it with `vite preview` on a free
 * port and launches Debian's Chromium (never a downloaded browser): what the end-to-end tests of
 * the web app and the inspector share.
 */
export const serveApp = async (root: string): Promise<ServedApp> => {
  const dist = await mkdtemp(join(tmpdir(), "loom-app-"));
  const t0 = performance.now();
  await build({ root, logLevel: "warn", build: { outDir: dist, emptyOutDir: true } });
  const buildSeconds = (performance.now() - t0) / 1000;
  const server = await preview({
    root,
    logLevel: "warn",
    build: { outDir: dist },
    preview: { port: 0, host: "127.0.0.1" },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    url: server.resolvedUrls!.local[0]!,
    browser,
    buildSeconds,
    close: async () => {
      await browser.close();
      await server.close();
      await rm(dist, { recursive: true, force: true });
    },
  };
};
