import { fileURLToPath } from "node:url";
import { chromium } from "playwright";
import { createServer } from "vite";
import { CHROMIUM, CHROMIUM_ARGS } from "../../../../vitest.config";
import type { BrowserBenchOptions, BrowserBenchResult } from "./browser/page";

/**
 * `pnpm bench --browser`: serves the bench page (browser/page.ts) with Vite, opens it in
 * Debian's Chromium (the same executable and flags as the browser tests; WebGL2 on
 * SwiftShader, so these numbers say nothing of a real GPU) and runs loom's WebGL backend and
 * tfjs-webgl there, printing rows through `out` as they come.
 */
export const runInChromium = async (
  opts: BrowserBenchOptions & { out: (line: string) => void; log: (line: string) => void },
): Promise<BrowserBenchResult> => {
  const server = await createServer({
    root: fileURLToPath(new URL("./browser/", import.meta.url)),
    configFile: false,
    logLevel: "warn",
    server: { host: "127.0.0.1", port: 0 },
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.exposeFunction("benchOut", opts.out);
    await page.exposeFunction("benchLog", opts.log);
    page.on("pageerror", (e) => opts.log(`bench (browser): ${e.message}`));
    // Vite transforms the page's modules on first request: minutes on a loaded machine.
    await page.goto(server.resolvedUrls!.local[0]!, { timeout: 600_000 });
    await page.waitForFunction(() => window.loomBench !== undefined, undefined, {
      timeout: 120_000,
    });
    const { filter, impl, quick } = opts;
    return await page.evaluate((o) => window.loomBench!(o), { filter, impl, quick });
  } finally {
    await browser.close();
    await server.close();
  }
};
