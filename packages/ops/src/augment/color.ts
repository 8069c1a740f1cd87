import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { constant } from "../core";
import { add, clip, eq, mul, select, sub } from "../api/elementwise";
import { reshape } from "../api/movement";
import { mean, sum } from "../api/reduce";
import { normal, split } from "../random";
import type { Augmentation } from "./common";
import { checkImages, checkOption, floatType, perImageInt, perImageUniform } from "./common";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/** ITU-R 601-2 luma weights of R, G and B (PIL's `convert("L")`). */
const LUMA = [0.299, 0.587, 0.114] as const;

const channels = (x: Tensor): number => x.shape[1] as number;

/** The greyscale image `[N,1,H,W]` of RGB images; one-channel images are their own grey. */
const grey = (x: Tensor): Tensor =>
  channels(x) === 1 ? x : sum(mul(x, constant(LUMA, [1, 3, 1, 1], floatType(x))), 1, true);

/** torchvision's `_blend`: `f * a + (1 - f) * b`, clamped to [0, 1]. */
const blend = (a: Tensor, b: Tensor | number, f: Tensor): Tensor =>
  clip(add(mul(f, a), mul(sub(1, f), b)), 0, 1);

type Adjust = (y: Tensor, f: Tensor) => Tensor;

const ADJUST: Readonly<Record<"brightness" | "contrast" | "saturation", Adjust>> = {
  brightness: (y, f) => blend(y, 0, f),
  contrast: (y, f) => blend(y, mean(grey(y), [1, 2, 3], true), f),
  saturation: (y, f) => blend(y, grey(y), f),
};

const permutations = (xs: readonly number[]): number[][] =>
  xs.length <= 1
    ? [[...xs]]
    : xs.flatMap((v, i) =>
        permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [v, ...rest]),
      );

/** Strengths of `colorJitter`: each factor is uniform in `[max(0, 1 - s), 1 + s]`; 0 turns it off. */
export type ColorJitterOptions = {
  brightness?: number;
  contrast?: number;
  saturation?: number;
  /** Apply the enabled adjustments in a random order per image, as torchvision does (default true). */
  randomOrder?: boolean;
};

const COLOR_JITTER_KEYS: OptionKeys<ColorJitterOptions> = {
  brightness: true,
  contrast: true,
  saturation: true,
  randomOrder: true,
};

/**
 * torchvision's `ColorJitter` without hue, per image: brightness multiplies by its factor;
 * contrast blends with the image's mean grey level; saturation blends with the greyscale image
 * (a no-op on one channel). Each step clamps to [0, 1], so inputs should be in [0, 1]. Images
 * must have 1 or 3 channels.
 */
export const colorJitter = (opts: ColorJitterOptions): Augmentation => {
  checkOptions("colorJitter", opts, COLOR_JITTER_KEYS);
  const names = ["brightness", "contrast", "saturation"] as const;
  for (const n of names) {
    const s = opts[n] ?? 0;
    checkOption("colorJitter", n, s, s >= 0, "a strength >= 0");
  }
  const randomOrder = opts.randomOrder ?? true;
  return (k, x) => {
    checkImages("colorJitter", x);
    const c = channels(x);
    if (c !== 1 && c !== 3) {
      throw new LoomError(
        "invalid_argument",
        "colorJitter",
        `needs 1 or 3 channels (grey or RGB), got ${c} in [${x.shape.join(",")}]`,
        [x.shape],
      );
    }
    const active = names.filter((n) => (opts[n] ?? 0) > 0 && !(n === "saturation" && c === 1));
    if (active.length === 0) return x;
    const keys = split(k, active.length + 1);
    const factors = active.map((n, i) => {
      const s = opts[n]!;
      return perImageUniform(keys[i]!, x, Math.max(0, 1 - s), 1 + s);
    });
    const apply = (y: Tensor, j: number) => ADJUST[active[j]!](y, factors[j]!);
    const orders = permutations(active.map((_, i) => i));
    if (!randomOrder || orders.length === 1) return orders[0]!.reduce(apply, x);
    const q = perImageInt(keys[active.length]!, x, 0, orders.length - 1);
    let y = x;
    for (let t = 0; t < active.length; t++) {
      // The adjustment at step t: every candidate is computed, and each image picks its own.
      const results = active.map((_, j) => apply(y, j));
      let next = results[orders[orders.length - 1]![t]!]!;
      for (let p = orders.length - 2; p >= 0; p--) {
        next = select(eq(q, p), results[orders[p]![t]!]!, next);
      }
      y = next;
    }
    return y;
  };
};

/** Options of `pcaJitter`: the RGB covariance's eigenpairs (e.g. from `rgbPca`). */
export type PcaJitterOptions = {
  /** The three eigenvalues of the pixels' RGB covariance. */
  eigvals: readonly number[];
  /** The matching unit eigenvectors, one per row: `eigvecs[i]` belongs to `eigvals[i]`. */
  eigvecs: readonly (readonly number[])[];
  /** Standard deviation of the per-image weights alpha (AlexNet: 0.1). */
  std?: number;
};

const PCA_JITTER_KEYS: OptionKeys<PcaJitterOptions> = { eigvals: true, eigvecs: true, std: true };

/**
 * AlexNet's "lighting" noise (Krizhevsky et al. 2012): add `sum_i alpha_i * eigvals[i] *
 * eigvecs[i]` to every pixel of an RGB image, with `alpha_i ~ N(0, std)` drawn per image.
 * It shifts colours along the data's principal components, so it mimics changes of
 * illumination intensity and colour. No clamping, as in the original.
 */
export const pcaJitter = (opts: PcaJitterOptions): Augmentation => {
  const { eigvals, eigvecs, std = 0.1 } = checkOptions("pcaJitter", opts, PCA_JITTER_KEYS);
  const isTriple = (v: unknown): v is readonly number[] =>
    Array.isArray(v) && v.length === 3 && v.every((e) => Number.isFinite(e));
  if (!isTriple(eigvals) || !Array.isArray(eigvecs) || eigvecs.length !== 3) {
    throw new LoomError(
      "invalid_argument",
      "pcaJitter",
      `needs 3 eigenvalues and 3 eigenvectors of 3 numbers, got eigvals ${JSON.stringify(eigvals)}, eigvecs ${JSON.stringify(eigvecs)}`,
    );
  }
  if (!eigvecs.every(isTriple)) {
    throw new LoomError(
      "invalid_argument",
      "pcaJitter",
      `eigvecs must be 3 rows of 3 finite numbers, got ${JSON.stringify(eigvecs)}`,
    );
  }
  checkOption("pcaJitter", "std", std, std >= 0, "a number >= 0");
  // w[i][c] = eigvals[i] * eigvecs[i][c]: the colour shift is alpha · w.
  const w = eigvecs.flatMap((v, i) => v.map((e) => e * eigvals[i]!));
  return (k, x) => {
    checkImages("pcaJitter", x);
    if (channels(x) !== 3) {
      throw new LoomError(
        "invalid_argument",
        "pcaJitter",
        `needs RGB images [N,3,H,W], got [${x.shape.join(",")}]`,
        [x.shape],
      );
    }
    const n = x.shape[0]!;
    const dt = floatType(x);
    const alpha = normal(k, [n, 3, 1], 0, std, dt);
    const shift = sum(mul(alpha, constant(w, [3, 3], dt)), 1);
    return add(x, reshape(shift, [n, 3, 1, 1]));
  };
};

/** Options of `gaussianNoise`. */
export type GaussianNoiseOptions = {
  /** Standard deviation of the added noise. */
  std: number;
  /** Clamp the result to `[lo, hi]` (e.g. [0, 1] for images). */
  clip?: readonly [number, number];
};

const GAUSSIAN_NOISE_KEYS: OptionKeys<GaussianNoiseOptions> = { std: true, clip: true };

/** Adds independent `N(0, std)` noise to every value, optionally clamping the result. */
export const gaussianNoise = (opts: GaussianNoiseOptions): Augmentation => {
  const { std, clip: range } = checkOptions("gaussianNoise", opts, GAUSSIAN_NOISE_KEYS);
  checkOption("gaussianNoise", "std", std, std >= 0, "a number >= 0");
  if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range[0] <= range[1]))
    throw new LoomError(
      "invalid_argument",
      "gaussianNoise",
      `clip must be [lo, hi] with lo <= hi, got ${JSON.stringify(range)}`,
    );
  return (k, x) => {
    checkImages("gaussianNoise", x);
    const y = add(x, normal(k, x.shape, 0, std, floatType(x)));
    return range === undefined ? y : clip(y, range[0], range[1]);
  };
};
