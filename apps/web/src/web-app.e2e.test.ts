/**
 * The web app end to end: builds it with Vite, serves the build, and drives it in Debian's
 * Chromium with Playwright (never a downloaded browser): trains an MLP for one epoch on all
 * 7,000 training digits, watches the charts and the progress bar move, checks the test
 * accuracy, draws a real test digit with the mouse, saves the model, refuses a corrupted copy,
 * loads a LeNet-5 checkpoint written in Node, and saves a screenshot to out/web-app.png.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint, loadMnist, runMeta } from "@loom/models";
import type { E2eApp } from "./testing/e2e-app";
import { attrOf, drawDigit as drawOn, startApp, trainInNode } from "./testing/e2e-app";

const OUT = fileURLToPath(new URL("../../../out/", import.meta.url));

let app: E2eApp;
let page: Page;
let url: string;
let log: string[];

beforeAll(async () => {
  app = await startApp();
  ({ url, log } = app);
  page = await app.newPage();
}, 60_000);

// An exception in the page fails the test that caused it, not a later wait.
afterEach(() => {
  expect(app.pageErrors).toEqual([]);
});

afterAll(async () => app?.close());

const drawDigit = (pixels: Float32Array) => drawOn(page, pixels);

const attr = (selector: string, name: string) => attrOf(page, selector, name);

describe("the web app in Chromium", () => {
  it("is served cross-origin isolated, and its worker's CPU backend runs WebAssembly SIMD", async () => {
    await page.goto(url);
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    // COOP/COEP from Vite's preview server (vite.config.ts): SharedArrayBuffer is available.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cpu = page.locator("#backend option[value=cpu]");
    expect(await cpu.getAttribute("data-isolated")).toBe("true");
    expect(await cpu.getAttribute("data-wasm")).toBe("true");
    // The worker splits the kernels between Web Workers: one thread per core, at most 8.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(Number(await cpu.getAttribute("data-threads"))).toBe(Math.min(8, cores));
    log.push(`cpu option: ${await cpu.textContent()}`);
  });

  it("trains an MLP for one epoch with live charts and progress, and reports the test accuracy", async () => {
    await page.goto(`${url}?model=mlp&epochs=1&batch=64`);
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    log.push(`status: ${await page.textContent("#status")}`);
    log.push(`webgl option: ${await page.textContent("#backend option[value=webgl]")}`);
    const t0 = performance.now();
    await page.click("#train");
    await page.waitForFunction(
      () => Number(document.querySelector("#loss-chart")!.getAttribute("data-points")) >= 3,
    );
    const firstPoints = Number(await attr("#loss-chart", "data-points"));
    const firstProgress = Number(await attr("#progress", "aria-valuenow"));
    // The chart grows by twenty points while training runs (109 steps in all).
    await page.waitForFunction(
      (n) => Number(document.querySelector("#loss-chart")!.getAttribute("data-points")) >= n,
      Math.min(firstPoints + 20, 100),
    );
    const during = await page.textContent("#progress-text");
    expect(during).toMatch(
      /^epoch 1\/1 · step \d+\/109 · [\d.]+ steps\/s · \d:\d\d left · loss [\d.]+$/,
    );
    expect(Number(await attr("#progress", "aria-valuenow"))).toBeGreaterThan(firstProgress);
    await page.waitForSelector("#test-accuracy[data-value]", { timeout: 60_000 });
    const seconds = (performance.now() - t0) / 1000;
    const accuracy = Number(await attr("#test-accuracy", "data-value"));
    log.push(
      `trained in ${seconds.toFixed(1)} s: ${await page.textContent("#progress-text")}; test accuracy ${accuracy}`,
    );
    expect(accuracy).toBeGreaterThan(0.85);
    // Charts redraw once per frame: wait for the frame after the last data.
    await page.waitForSelector('#loss-chart[data-points="109"]');
    await page.waitForSelector('#accuracy-chart[data-points="1"]');
    expect(await page.textContent("#progress-text")).toMatch(
      /^Done: 109 steps, \d:\d\d in all · [\d.]+ steps\/s$/,
    );
  }, 90_000);

  it("classifies a real test digit drawn with the mouse, updating as it is drawn", async () => {
    // Test digit 3 is a clearly written 6.
    const { test } = loadMnist();
    const digit = 3;
    expect(test.labels[digit]).toBe(6);
    const t0 = performance.now();
    await drawDigit(test.images.subarray(digit * 784, (digit + 1) * 784));
    await page.waitForFunction(() => document.querySelector("#prediction")!.textContent === "6");
    log.push(
      `drew test digit ${digit} (a 6) in ${((performance.now() - t0) / 1000).toFixed(1)} s: predicted ${await page.textContent("#prediction")}, ${await page.textContent("#confidence")}`,
    );
    const bars = await page.$$eval(".prob", (rows) =>
      rows.map((r) => ({
        top: r.classList.contains("top"),
        pct: r.querySelector(".pct")!.textContent,
      })),
    );
    expect(bars).toHaveLength(10);
    expect(bars.findIndex((b) => b.top)).toBe(6);
    const total = bars.reduce((sum, b) => sum + Number.parseFloat(b.pct!), 0);
    expect(total).toBeGreaterThan(99);
    expect(total).toBeLessThan(101);
    // The 28x28 input shown is the preprocessed drawing: ink in the middle of the frame.
    const ink = await page.$eval("#input", (c) => {
      const d = (c as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 28, 28).data;
      let centre = 0;
      let border = 0;
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const v = d[4 * (y * 28 + x)]!;
          if (x >= 4 && x < 24 && y >= 4 && y < 24) centre += v;
          else if (x < 2 || x >= 26 || y < 2 || y >= 26) border += v;
        }
      return { centre, border };
    });
    expect(ink.centre).toBeGreaterThan(20_000);
    expect(ink.border).toBe(0);
    await mkdir(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, "web-app.png"), fullPage: true });
  }, 60_000);

  it("saves the model as .safetensors, refuses a corrupted copy and keeps the model", async () => {
    const accuracy = await attr("#test-accuracy", "data-value");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
    expect(download.suggestedFilename()).toBe("loom-mlp-epoch1-step109.safetensors");
    const bytes = await readFile((await download.path())!);
    const ck = decodeCheckpoint(bytes);
    expect(ck.step).toBe(109);
    expect(ck.meta).toMatchObject({ epoch: "1", seed: "0" });
    const corrupt = Buffer.from(bytes);
    corrupt[corrupt.length - 100] ^= 0x10;
    await page.setInputFiles("#load", {
      name: "corrupt.safetensors",
      mimeType: "application/octet-stream",
      buffer: corrupt,
    });
    await page.waitForSelector("#notice.error");
    expect(await page.textContent("#notice")).toMatch(
      /^Could not load corrupt.safetensors: checkpoint: checksum .* the file is corrupted$/,
    );
    expect(await attr("#test-accuracy", "data-value")).toBe(accuracy);
    expect(await page.textContent("#model-info")).toBe(
      "MLP trained here on the CPU: 1 epoch (109 steps).",
    );
  }, 30_000);

  it("loads a LeNet-5 checkpoint written in Node and shows its first convolution's feature maps", async () => {
    // Trained here as `loom train` would and saved with the same metadata.
    const { state, accuracy } = await trainInNode("lenet", 3000);
    const file = encodeCheckpoint({
      params: state.params,
      state: state.state,
      optState: state.optState,
      step: state.step,
      meta: runMeta({ model: "lenet", dropout: 0, batchNorm: false, optimizer: "adam" }, 1, 0),
    });
    await page.setInputFiles("#load", {
      name: "lenet.safetensors",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(file),
    });
    await page.waitForFunction(() =>
      document.querySelector("#model-info")!.textContent!.includes("LeNet-5"),
    );
    expect(await page.textContent("#model-info")).toBe(
      "LeNet-5 loaded from lenet.safetensors: 1 epoch (60 steps).",
    );
    const shown = Number(await attr("#test-accuracy", "data-value"));
    log.push(
      `LeNet-5 after 60 steps in Node: test accuracy ${accuracy} (Node), ${shown} (browser)`,
    );
    expect(Math.abs(shown - accuracy)).toBeLessThanOrEqual(0.001);
    expect(await page.textContent("#notice")).toBe(
      `Loaded lenet.safetensors: ${(shown * 100).toFixed(2)}% of the test digits right.`,
    );
    // The drawing is classified again by the new model, now with six 28x28 feature maps.
    await page.waitForFunction(
      () => document.querySelectorAll("#feature-maps canvas").length === 6,
    );
    const sizes = await page.$$eval("#feature-maps canvas", (cs) =>
      cs.map((c) => `${(c as HTMLCanvasElement).width}x${(c as HTMLCanvasElement).height}`),
    );
    expect(sizes).toEqual(Array(6).fill("28x28"));
    await page.screenshot({ path: join(OUT, "web-app-lenet.png"), fullPage: true });
  }, 60_000);

  it("trains on WebGL in the worker where it works, or says why not and trains on the CPU", async () => {
    // SwiftShader renders in software: a couple of steps only.
    await page.goto(`${url}?backend=webgl&epochs=1&batch=64&limit=128`);
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    const offered = !(await page.$eval(
      "#backend option[value=webgl]",
      (o) => (o as HTMLOptionElement).disabled,
    ));
    await page.click("#train");
    await page.waitForSelector("#test-accuracy[data-value]", { timeout: 60_000 });
    const info = (await page.textContent("#model-info"))!;
    const notice = (await page.textContent("#notice"))!;
    log.push(
      `WebGL offered: ${offered}; ${info} ${await page.textContent("#progress-text")}; notice: ${notice}`,
    );
    expect(await page.textContent("#progress-text")).toMatch(/^Done: 2 steps, /);
    if (info.includes("on WebGL")) {
      expect(offered).toBe(true);
    } else {
      expect(info).toBe("MLP trained here on the CPU: 1 epoch (2 steps).");
      expect(notice).toMatch(/WebGL.*(not available|failed).*CPU/);
    }
    expect(Number(await attr("#test-accuracy", "data-value"))).toBeGreaterThan(0.2);
  }, 90_000);
});
