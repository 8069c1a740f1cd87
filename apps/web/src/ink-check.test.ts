import { describe, expect, it } from "vitest";
import { loadMnist } from "@loom/models";
import { inkProblem } from "./ink-check";
import { toMnist } from "./preprocess";

const PAD = 280;

/** A 280x280 pad with the given filled discs (a brush of diameter 20, as the pad's). */
const pad = (points: readonly (readonly [number, number])[], radius = 10): Float32Array => {
  const ink = new Float32Array(PAD * PAD);
  for (const [cx, cy] of points)
    for (let y = 0; y < PAD; y++)
      for (let x = 0; x < PAD; x++)
        if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) ink[y * PAD + x] = 1;
  return ink;
};

/** A test digit drawn as the end-to-end test draws it: each pixel >= 0.5 a 10x10 block of ink. */
const upscaled = (pixels: Float32Array): Float32Array => {
  const ink = new Float32Array(PAD * PAD);
  for (let y = 0; y < PAD; y++)
    for (let x = 0; x < PAD; x++)
      ink[y * PAD + x] = pixels[Math.floor(y / 10) * 28 + Math.floor(x / 10)]! >= 0.5 ? 1 : 0;
  return ink;
};

describe("inkProblem", () => {
  it("refuses a single tap, which toMnist would scale up to a full-size blob", () => {
    const tap = pad([[140, 140]]);
    expect(toMnist(tap, PAD, PAD)).toBeDefined();
    expect(inkProblem(tap, PAD, PAD)).toMatch(/^Too little ink/);
  });

  it("refuses a small scribble and a large scribbled-over blot", () => {
    const small = pad(
      Array.from({ length: 12 }, (_, i) => [130 + (i % 4) * 7, 130 + i * 3] as const),
    );
    expect(inkProblem(small, PAD, PAD)).toMatch(/^Too little ink/);
    const blot = pad([[140, 140]], 60);
    expect(inkProblem(blot, PAD, PAD)).toMatch(/blot/);
  });

  it("accepts every one of MNIST's 2,000 test digits drawn on the pad, and an empty pad", () => {
    const { test } = loadMnist();
    const refused = Array.from({ length: test.count }, (_, d) =>
      inkProblem(upscaled(test.images.subarray(d * 784, (d + 1) * 784)), PAD, PAD),
    ).filter((p) => p !== undefined);
    expect(refused).toEqual([]);
    expect(inkProblem(new Float32Array(PAD * PAD), PAD, PAD)).toBeUndefined();
  });
});
