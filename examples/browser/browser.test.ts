/**
 * The browser example as a user meets it: built with Vite, served, and opened in Debian's
 * Chromium with Playwright (never a downloaded browser), where it trains on WebGL2
 * (SwiftShader) and shows its predictions; `?backend=cpu` takes the CPU fallback.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright";
import { chromium } from "playwright";
import type { PreviewServer } from "vite";
import { build, preview } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, CHROMIUM_ARGS } from "../../vitest.config";

const ROOT = fileURLToPath(new URL(".", import.meta.url));

let dist: string;
let server: PreviewServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), "loom-example-browser-"));
  await build({ root: ROOT, logLevel: "warn", build: { outDir: dist, emptyOutDir: true } });
  server = await preview({
    root: ROOT,
    logLevel: "warn",
    build: { outDir: dist },
    preview: { port: 0, host: "127.0.0.1" },
  });
  url = server.resolvedUrls!.local[0]!;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

/** Opens the page with a query, waits for training to end, and returns the result's data. */
const trainIn = async (query: string) => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}?${query}`, { waitUntil: "domcontentloaded", timeout: 60_000 });
  await page.waitForSelector("#result[data-done], #result[data-error]", { timeout: 60_000 });
  const data = await page.$eval("#result", (el) => ({ ...(el as HTMLElement).dataset }));
  const text = await page.textContent("#result");
  await page.close();
  expect(errors).toEqual([]);
  expect(data["error"], text ?? "").toBeUndefined();
  return { data, text: text ?? "" };
};

describe("the browser example in Chromium", () => {
  it("trains on WebGL2 and classifies the points inside the circle", async () => {
    const { data, text } = await trainIn("epochs=30");
    expect(data["backend"]).toBe("webgl");
    expect(Number(data["accuracy"])).toBeGreaterThan(0.9);
    expect(Number(data["centre"])).toBeGreaterThan(0.5);
    expect(Number(data["corner"])).toBeLessThan(0.5);
    expect(text).toMatch(/^backend webgl, 30 epochs: loss [\d.]+ -> [\d.]+$/m);
  });

  it("falls back to the CPU backend, which learns the same task", async () => {
    const { data } = await trainIn("backend=cpu&epochs=30");
    expect(data["backend"]).toBe("cpu");
    expect(Number(data["accuracy"])).toBeGreaterThan(0.9);
  });
});
