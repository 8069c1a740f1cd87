import type { DType, Dim } from "@loom/graph";
import { formatShape, isFloat, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { add, cast, floor, minimum, mul } from "../api/elementwise";
import { reshape } from "../api/movement";
import { foldIn, uniform } from "../random";
import { checkTensor } from "../graph-operand";

/**
 * A keyed, pure image transform of a batch `x: [N,C,H,W]`: all its randomness comes from
 * `key`, so the same key gives the same batch on every backend, and a training step can fold
 * the step number into its key to get fresh augmentations each step.
 */
export type Augmentation = (key: Tensor, x: Tensor) => Tensor;

/** Throws unless `x` is a float NCHW batch with concrete C, H and W (N may be a symbol). */
export const checkImages = (op: string, x: Tensor): void => {
  checkTensor(op, x, "the batch");
  const [, c, h, w] = x.shape;
  if (
    x.shape.length !== 4 ||
    typeof c !== "number" ||
    typeof h !== "number" ||
    typeof w !== "number"
  ) {
    throw new LoomError(
      "invalid_argument",
      op,
      `expects images [N,C,H,W] with concrete C, H and W, got ${formatShape(x.shape)}; reshape a flat batch to NCHW first`,
      [x.shape],
    );
  }
  if (!isFloat(x.dtype)) {
    throw new LoomError(
      "dtype_mismatch",
      op,
      `expects float images, got ${x.dtype}${formatShape(x.shape)}; cast them to float32`,
      [x.shape],
    );
  }
};

/** Throws unless `v` is a finite number satisfying `ok`, naming the option and the rule. */
export const checkOption = (op: string, name: string, v: unknown, ok: boolean, rule: string) => {
  if (typeof v !== "number" || !Number.isFinite(v) || !ok) {
    throw new LoomError("invalid_argument", op, `${name} must be ${rule}, got ${String(v)}`);
  }
};

/** The float dtype that the sampling matrices and random parameters of `x` use. */
export const floatType = (x: Tensor): "float32" | "float64" =>
  x.dtype === "float64" ? "float64" : "float32";

/** The shape `[N,1,1,1]` of one parameter per image, broadcasting against the batch. */
export const perImageShape = (x: Tensor): Dim[] => [x.shape[0]!, 1, 1, 1];

/** One uniform draw in `[lo, hi)` per image, shaped `[N,1,1,1]`. */
export const perImageUniform = (k: Tensor, x: Tensor, lo: number, hi: number): Tensor =>
  uniform(k, perImageShape(x), lo, hi, floatType(x));

/**
 * One integer per image, uniform in `[lo, hi]`, as a float `[N,1,1,1]`. Computed as
 * `floor(u * count)` with `u` in [0, 1) and clamped, because rounding of `u * count` can
 * otherwise reach `count` itself.
 */
export const perImageInt = (k: Tensor, x: Tensor, lo: number, hi: number): Tensor => {
  const count = hi - lo + 1;
  const u = perImageUniform(k, x, 0, 1);
  return add(minimum(floor(mul(u, count)), count - 1), lo);
};

/** A per-image parameter given as `[N]` (or `[N,1,1,1]`) reshaped to broadcast over `x`. */
export const asPerImage = (op: string, t: Tensor, x: Tensor): Tensor => {
  const n = x.shape[0]!;
  const ok = (t.shape.length === 1 || t.shape.length === 4) && t.shape[0] === n;
  if (!ok || t.shape.slice(1).some((d) => d !== 1)) {
    throw new LoomError(
      "shape_mismatch",
      op,
      `needs one value per image: a tensor [${n}] for images ${formatShape(x.shape)}, got ${formatShape(t.shape)}`,
      [t.shape, x.shape],
    );
  }
  return cast(reshape(t, perImageShape(x)), x.dtype as DType);
};

/** Applies augmentations in order, each with its own key `foldIn(key, i)`. */
export const pipeline =
  (...augs: readonly Augmentation[]): Augmentation =>
  (k, x) =>
    augs.reduce((y, aug, i) => aug(foldIn(k, i), y), x);
