import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import {
  activationNames,
  batchOf,
  forwardWithActivations,
  getModel,
  initModel,
  loadMnist,
} from "@loom/models";
import { loom } from "./testing/run-loom";
import { gridPng } from "./png-grid";

const dir = mkdtempSync(join(tmpdir(), "loom-features-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("feature maps", () => {
  it("returns named activations as extra outputs of the same forward pass", async () => {
    const backend = cpuBackend();
    const { layer, input } = getModel("lenet");
    const vars = await initModel(backend, layer, 1, { shape: ["N", ...input] });
    expect(activationNames(layer, vars, input)).toEqual(
      expect.arrayContaining(["conv1", "act1", "pool1", "conv2", "fc3"]),
    );
    const { x } = batchOf(loadMnist().test, [0]);
    const { logits, activations } = await forwardWithActivations(backend, layer, vars, x, [
      "conv1",
      "act1",
      "pool2",
    ]);
    expect(activations["conv1"]!.shape).toEqual([1, 6, 28, 28]);
    expect(activations["pool2"]!.shape).toEqual([1, 16, 5, 5]);
    expect(logits.shape).toEqual([1, 10]);
    // act1 is relu(conv1), element by element.
    activations["act1"]!.data.forEach((v, i) =>
      expect(v).toBe(Math.max(activations["conv1"]!.data[i]!, 0)),
    );
    await expect(forwardWithActivations(backend, layer, vars, x, ["nope"])).rejects.toThrow(
      /no activation named "nope"/,
    );
  });

  it("draws a grid of min-max normalised tiles", () => {
    const png = PNG.sync.read(
      gridPng([0, 1, 2, 3, 5, 5, 5, 5], 2, 2, 2, { scale: 1, gap: 1, cols: 2 }),
    );
    expect([png.width, png.height]).toEqual([7, 4]);
    const grey = (x: number, y: number) => png.data[(y * png.width + x) * 4]!;
    expect([grey(1, 1), grey(2, 1), grey(1, 2), grey(2, 2)]).toEqual([0, 85, 170, 255]);
    expect(grey(4, 1)).toBe(128); // a constant tile is mid-grey
  });

  it("loom features writes the maps of a layer and the first-layer filters of a trained checkpoint", async () => {
    const ck = join(dir, "lenet.safetensors");
    const train = await loom(
      "train",
      "--model",
      "lenet",
      "--epochs",
      "1",
      "--limit",
      "256",
      "--batch",
      "32",
      "--checkpoint",
      ck,
      "--no-progress",
    );
    expect(train.code).toBe(0);
    const out = join(dir, "maps.png");
    const r = await loom(
      "features",
      "--checkpoint",
      ck,
      "--image",
      "3",
      "--layer",
      "act1",
      "--out",
      out,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/act1: 6 maps of 28x28 for test digit 3/);
    const maps = PNG.sync.read(readFileSync(out));
    expect(maps.width).toBeGreaterThan(28 * 3);
    const filters = PNG.sync.read(readFileSync(join(dir, "maps-filters.png")));
    expect(filters.width).toBeGreaterThan(5 * 3);
    const bad = await loom("features", "--checkpoint", ck, "--layer", "conv9");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no layer "conv9"; its layers: conv1, /);
  });
});
