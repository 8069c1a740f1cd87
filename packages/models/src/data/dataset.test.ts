import { LoomError } from "@loom/graph";
import { describe, expect, it } from "vitest";
import type { Dataset } from "./dataset";
import { batchOf, sliceDataset, splitValidation } from "./dataset";

/** A tiny synthetic dataset where pixel p of example i is i + p / 1000, so rows are recognisable. */
const synthetic = (count: number): Dataset => {
  const images = new Float32Array(count * 784);
  for (let i = 0; i < count; i++) for (let p = 0; p < 784; p++) images[i * 784 + p] = i + p / 1000;
  const labels = Int32Array.from({ length: count }, (_, i) => (i * 3) % 10);
  return { images, labels, count, shape: [1, 28, 28] };
};

describe("batchOf", () => {
  const ds = synthetic(6);

  it("copies the chosen examples, in order, repeats allowed", () => {
    const { x, y } = batchOf(ds, [5, 0, 5, 2]);
    expect(x.shape).toEqual([4, 1, 28, 28]);
    expect(x.dtype).toBe("float32");
    expect(y.shape).toEqual([4]);
    expect(y.dtype).toBe("int32");
    expect(Array.from(y.data)).toEqual([5, 0, 5, 6]);
    [5, 0, 5, 2].forEach((i, k) => {
      expect(x.data[k * 784]).toBeCloseTo(i, 5);
      expect(x.data[k * 784 + 783]).toBeCloseTo(i + 0.783, 5);
      expect(x.data[k * 784 + 28 * 3 + 4]).toBeCloseTo(i + 0.088, 5);
    });
  });

  it("takes Int32Array indices, allows an empty batch, and copies rather than views", () => {
    const { x, y } = batchOf(ds, Int32Array.of(3));
    expect(Array.from(y.data)).toEqual([9]);
    x.data[0] = -1;
    expect(ds.images[3 * 784]).toBe(3);
    const empty = batchOf(ds, []);
    expect(empty.x.shape).toEqual([0, 1, 28, 28]);
    expect(empty.y.data.length).toBe(0);
  });

  it("rejects indices out of range or not integers", () => {
    for (const bad of [[6], [-1], [1.5], [0, Number.NaN]]) {
      let caught: unknown;
      try {
        batchOf(ds, bad);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LoomError);
      expect((caught as LoomError).code).toBe("invalid_argument");
    }
  });
});

describe("sliceDataset and splitValidation", () => {
  const ds = synthetic(6);

  it("slices examples [from, to) as views of the same arrays", () => {
    const s = sliceDataset(ds, 2, 5);
    expect(s.count).toBe(3);
    expect(Array.from(s.labels)).toEqual([6, 9, 2]);
    expect(s.images.length).toBe(3 * 784);
    expect(s.images[0]).toBeCloseTo(2, 5);
    expect(s.images[2 * 784 + 10]).toBeCloseTo(4.01, 5);
    expect(s.images.buffer).toBe(ds.images.buffer);
    expect(sliceDataset(ds, 3, 3).count).toBe(0);
    for (const [a, b] of [
      [-1, 2],
      [4, 2],
      [0, 7],
      [0.5, 2],
    ]) {
      expect(() => sliceDataset(ds, a!, b!)).toThrow(LoomError);
    }
  });

  it("holds out the last examples for validation, or none", () => {
    const { train, val } = splitValidation(ds, 2);
    expect(Array.from(train.labels)).toEqual([0, 3, 6, 9]);
    expect(Array.from(val!.labels)).toEqual([2, 5]);
    expect(val!.images[784]).toBeCloseTo(5, 5);
    const none = splitValidation(ds, 0);
    expect(none.train).toBe(ds);
    expect(none.val).toBeUndefined();
  });
});
