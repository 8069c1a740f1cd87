/**
 * The web app loads an `.onnx` digit classifier (issue #14): an MLP trained in Node and exported
 * with @loom/onnx is loaded with the Load button in Debian's Chromium, scores the test digits as
 * loom does in Node, and classifies a real MNIST test digit drawn with the mouse as loom
 * classifies the same 28x28 input directly. A file that is not ONNX says so and keeps the model.
 */
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { loadMnist } from "@loom/models";
import { exportLayer } from "@loom/onnx";
import { hostTensor, predict } from "@loom/ops";
import type { E2eApp, TrainedInNode } from "./testing/e2e-app";
import { attrOf, drawDigit, startApp, trainInNode } from "./testing/e2e-app";

let app: E2eApp;
let page: Page;
let mlp: TrainedInNode;

// The app builds while the MLP trains in Node.
beforeAll(async () => {
  [app, mlp] = await Promise.all([startApp(), trainInNode("mlp", 3000)]);
  page = await app.newPage();
}, 120_000);

afterAll(async () => app?.close());

const load = (name: string, bytes: Uint8Array) =>
  page.setInputFiles("#load", {
    name,
    mimeType: "application/octet-stream",
    buffer: Buffer.from(bytes),
  });

const argmax = (xs: ArrayLike<number>) =>
  Array.from(xs).reduce((b, v, i, a) => (v > a[b]! ? i : b), 0);

describe("the web app with an .onnx model", () => {
  it("classifies the test digits and a drawn digit as loom does with the exported MLP", async () => {
    const { layer, state, accuracy } = mlp;
    const bytes = exportLayer(layer, state, [1, 28, 28], { name: "mnist_mlp" });
    await page.goto(app.url);
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    await load("mlp.onnx", bytes);
    await page.waitForFunction(() =>
      document.querySelector("#model-info")!.textContent!.includes("ONNX"),
    );
    expect(await page.textContent("#model-info")).toBe(
      "ONNX model mnist_mlp loaded from mlp.onnx.",
    );
    await page.waitForSelector("#test-accuracy[data-value]");
    const shown = Number(await attrOf(page, "#test-accuracy", "data-value"));
    app.log.push(`exported MLP: test accuracy ${accuracy} (Node), ${shown} (browser, .onnx)`);
    expect(Math.abs(shown - accuracy)).toBeLessThanOrEqual(0.001);

    // Test digit 3 is a clearly written 6.
    const { test } = loadMnist();
    const digit = test.images.slice(3 * 784, 4 * 784);
    const backend = cpuBackend();
    const run = predict(layer, state.params, state.state, { backend });
    const direct = await run(hostTensor(digit, [1, 1, 28, 28]));
    expect(argmax(direct.data)).toBe(test.labels[3]);
    await drawDigit(page, digit);
    await page.waitForFunction(
      (d) => document.querySelector("#prediction")!.textContent === String(d),
      argmax(direct.data),
    );
    // The 28x28 input the app classified (shown on #input), classified by loom in Node.
    const seen = await page.$eval("#input", (c) =>
      Array.from(
        (c as HTMLCanvasElement)
          .getContext("2d")!
          .getImageData(0, 0, 28, 28)
          .data.filter((_, i) => i % 4 === 0),
        (v) => v / 255,
      ),
    );
    const logits = (await run(hostTensor(seen, [1, 1, 28, 28]))).data;
    const exp = Array.from(logits, (v) => Math.exp(v - Math.max(...logits)));
    const total = exp.reduce((a, b) => a + b, 0);
    const pcts = await page.$$eval(".prob .pct", (ps) =>
      ps.map((p) => Number.parseFloat(p.textContent!)),
    );
    run.dispose();
    backend.dispose();
    expect(await page.textContent("#prediction")).toBe(String(argmax(logits)));
    // The canvas holds 8-bit pixels, so the probabilities agree to about a percentage point.
    pcts.forEach((p, d) => expect(Math.abs(p - (100 * exp[d]!) / total)).toBeLessThan(1.5));
    expect(app.pageErrors).toEqual([]);
  }, 90_000);

  it("says a file that is not ONNX is not an ONNX model and keeps the loaded one", async () => {
    const before = await page.textContent("#model-info");
    await load("notes.onnx", new TextEncoder().encode("these are notes, not a model\n"));
    await page.waitForSelector("#notice.error");
    expect(await page.textContent("#notice")).toMatch(
      /^Could not load notes\.onnx: importOnnx: not an ONNX model \(/,
    );
    expect(await page.textContent("#model-info")).toBe(before);
    expect(app.pageErrors).toEqual([]);
  }, 30_000);
});
