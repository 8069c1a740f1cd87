/**
 * The fixed split of the `mnist` package's 10,000 digits, as a pure function of the package's
 * per-digit arrays: Node reads them from the package (`mnist.ts`), the web app from a compact
 * binary copy of it. Both run this code, so both get the same 8,000 training and 2,000 test
 * digits in the same order.
 */
import { LoomError } from "@loom/graph";
import type { Dataset } from "./dataset";

/** Seed of the fixed split; changing it changes which digits are test digits. */
export const MNIST_SPLIT_SEED = 42;

/** Digits in the package, and how they are split. */
export const MNIST_SIZES = { total: 10_000, train: 8_000, test: 2_000 } as const;

/** All samples of one digit as the `mnist` package holds them: `length` images of 28*28 values in [0, 1], concatenated. */
export interface MnistDigitData {
  readonly raw: ArrayLike<number>;
  readonly length: number;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/**
 * mulberry32: a small, well-mixed 32-bit PRNG, uniform in [0, 1); all we need for a
 * reproducible permutation. Exported so that tests' seeded generators can be this one.
 */
export const mulberry32 = (seed: number): (() => number) => {
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

const build = (digits: readonly MnistDigitData[], samples: readonly Sample[]): Dataset => {
  const images = new Float32Array(samples.length * PIXELS);
  const labels = new Int32Array(samples.length);
  samples.forEach(({ digit, index }, k) => {
    const raw = digits[digit]!.raw;
    for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = raw[index * PIXELS + p]!;
    labels[k] = digit;
  });
  return { images, labels, count: samples.length, shape: [1, SIDE, SIDE] };
};

const check = (digits: readonly MnistDigitData[], source: string): void => {
  if (digits.length !== 10) {
    throw new LoomError(
      "io",
      "splitMnist",
      `${source} holds ${digits.length} digit classes, not 10`,
    );
  }
  let total = 0;
  digits.forEach(({ raw, length }, d) => {
    let ok = Number.isInteger(length) && length >= 0 && raw.length === length * PIXELS;
    for (let i = 0; ok && i < raw.length; i++) ok = raw[i]! >= 0 && raw[i]! <= 1;
    if (!ok) {
      throw new LoomError(
        "io",
        "splitMnist",
        `${source}: digit ${d}'s data is not ${length} images of 28x28 values in [0, 1]`,
      );
    }
    total += length;
  });
  if (total !== MNIST_SIZES.total) {
    throw new LoomError(
      "io",
      "splitMnist",
      `${source} holds ${total} digits, expected ${MNIST_SIZES.total}`,
    );
  }
};

/**
 * The package's 10,000 digits (`digits[d]` holds digit d's samples, in package order) split into
 * 8,000 training and 2,000 test digits, the same on every call and machine. The split is
 * stratified: with mulberry32 seeded by `MNIST_SPLIT_SEED`, each digit's samples are
 * Fisher–Yates shuffled, digit 0 to 9 in turn; the 10,000 shuffled samples are concatenated
 * digit 0 first and every fifth one (positions 4, 9, 14, ...) goes to test, so each class is
 * split 80/20 (to within one digit). The same generator then shuffles the training list and then
 * the test list, so that neither is sorted by class. `source` names the data in errors.
 */
export const splitMnist = (
  digits: readonly MnistDigitData[],
  source = "the mnist package",
): { train: Dataset; test: Dataset } => {
  check(digits, source);
  const rng = mulberry32(MNIST_SPLIT_SEED);
  const ordered: Sample[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const indices = Array.from({ length: digits[digit]!.length }, (_, index) => index);
    for (const index of shuffle(indices, rng)) ordered.push({ digit, index });
  }
  const train = ordered.filter((_, p) => p % 5 !== 4);
  const test = ordered.filter((_, p) => p % 5 === 4);
  return { train: build(digits, shuffle(train, rng)), test: build(digits, shuffle(test, rng)) };
};
