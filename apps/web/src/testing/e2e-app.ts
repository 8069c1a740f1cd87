/**
 * What the web app's end-to-end tests share: the app built with Vite into a temporary
 * directory and served by Vite's preview server, Debian's Chromium driven by Playwright (never
 * a downloaded browser), a page that records its exceptions, and drawing with the mouse.
 */
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContextOptions, Page } from "playwright";
import { cpuBackend } from "@loom/backend-cpu";
import type { TrainState } from "@loom/models";
import {
  evaluate,
  fit,
  getModel,
  initModel,
  loadMnist,
  makeOptimizer,
  sliceDataset,
} from "@loom/models";
import type { nn } from "@loom/ops";
import { serveApp } from "@loom/testing/node";

const APP = fileURLToPath(new URL("../..", import.meta.url));

/** The served app and the browser that drives it. */
export interface E2eApp {
  readonly url: string;
  readonly browser: Browser;
  /** Lines printed when the app closes (timings, what the page showed). */
  readonly log: string[];
  /** Exceptions thrown in any page opened with `newPage`. */
  readonly pageErrors: string[];
  readonly newPage: (options?: BrowserContextOptions) => Promise<Page>;
  readonly close: () => Promise<void>;
}

/** Builds and serves the app and launches Chromium (through @loom/testing's `serveApp`). */
export const startApp = async (): Promise<E2eApp> => {
  const log: string[] = [];
  const pageErrors: string[] = [];
  const served = await serveApp(APP);
  log.push(`build ${served.buildSeconds.toFixed(1)} s`);
  const newPage = async (options: BrowserContextOptions = {}) => {
    const page = await served.browser.newPage({
      viewport: { width: 1440, height: 1000 },
      acceptDownloads: true,
      ...options,
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") log.push(`console: ${m.text()}`);
    });
    return page;
  };
  return {
    url: served.url,
    browser: served.browser,
    log,
    pageErrors,
    newPage,
    close: async () => {
      console.log(log.join("\n"));
      await served.close();
    },
  };
};

/** The pad's box on the screen, scrolled into view first (mouse events off the screen are lost). */
export const padBox = async (page: Page) => {
  await page.locator("#pad").scrollIntoViewIfNeeded();
  return (await page.locator("#pad").boundingBox())!;
};

/**
 * Draws a 28x28 image on the 280x280 pad with the mouse, 10 pad pixels per image pixel: every
 * row's runs of ink (>= 0.5) as one horizontal stroke each of the pad's 20-pixel brush.
 */
export const drawDigit = async (page: Page, pixels: Float32Array): Promise<void> => {
  await page.click("#clear");
  const box = await padBox(page);
  const k = box.width / 28;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[y * 28 + x]! < 0.5 || (x > 0 && pixels[y * 28 + x - 1]! >= 0.5)) continue;
      let end = x;
      while (end + 1 < 28 && pixels[y * 28 + end + 1]! >= 0.5) end++;
      await page.mouse.move(box.x + (x + 0.5) * k, box.y + (y + 0.5) * k);
      await page.mouse.down();
      await page.mouse.move(box.x + (end + 0.5) * k, box.y + (y + 0.5) * k);
      await page.mouse.up();
    }
  }
};

/** An attribute of the first element matching `selector` ("" when absent). */
export const attrOf = (page: Page, selector: string, name: string): Promise<string> =>
  page.$eval(selector, (el, n) => el.getAttribute(n) ?? "", name);

/** A model trained in Node as `loom train` would (Adam 2e-3, batch 50), and its test accuracy. */
export interface TrainedInNode {
  readonly layer: nn.Layer;
  readonly state: TrainState;
  readonly accuracy: number;
}

/** Trains a registry model for one epoch on the first `digits` training digits, in Node. */
export const trainInNode = async (model: string, digits: number): Promise<TrainedInNode> => {
  const backend = cpuBackend();
  const { train, test } = loadMnist();
  const { layer } = getModel(model);
  const start = await initModel(backend, layer, 0, { shape: ["N", 1, 28, 28] });
  const { state } = await fit({
    backend,
    model: layer,
    optimizer: makeOptimizer("adam", 2e-3),
    train: sliceDataset(train, 0, digits),
    epochs: 1,
    batchSize: 50,
    seed: 0,
    start,
  });
  const { accuracy } = await evaluate(backend, { model: layer }, state, test);
  backend.dispose();
  return { layer, state, accuracy };
};
