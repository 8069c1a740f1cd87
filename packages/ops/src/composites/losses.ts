import { formatType, isFloat, LoomError, shapeEq } from "@loom/graph";
import type { Tensor } from "../core";
import { prim } from "../core";
import { abs, cast, div, mul, ne, neg, square, sub } from "../api/elementwise";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";
import { mean, sum } from "../api/reduce";
import { oneHot } from "./one-hot";
import { logSoftmax } from "./softmax";

const requireFloat = (op: string, what: string, t: Tensor): void => {
  if (!isFloat(t.dtype)) {
    throw new LoomError(
      "dtype_mismatch",
      op,
      `${what} must be float, got ${formatType(t)}; cast it first`,
      [t.shape],
    );
  }
};

// Elementwise losses compare tensors of one shape: a silent broadcast of [N] against [N,1]
// would give an [N,N] loss that trains but is wrong.
const requireSameType = (op: string, a: Tensor, b: Tensor, names: string): void => {
  if (!shapeEq(a.shape, b.shape)) {
    throw new LoomError(
      "shape_mismatch",
      op,
      `${names} must have equal shapes, got ${formatType(a)} and ${formatType(b)}; reshape one of them`,
      [a.shape, b.shape],
    );
  }
  if (a.dtype !== b.dtype) {
    throw new LoomError(
      "dtype_mismatch",
      op,
      `${names} must have one dtype, got ${formatType(a)} and ${formatType(b)}`,
      [a.shape, b.shape],
    );
  }
};

/** How a loss reduces its per-element values, as PyTorch's `reduction`. */
export type LossReduction = "mean" | "sum" | "none";

/** Options of the elementwise losses. */
export interface LossOptions {
  /** `"mean"` (default) over all elements, `"sum"`, or `"none"` for the per-element losses. */
  readonly reduction?: LossReduction;
}

/** Options of {@link softmaxCrossEntropy}: PyTorch's `reduction`, `label_smoothing`, `ignore_index`. */
export interface CrossEntropyOptions extends LossOptions {
  /**
   * epsilon in [0, 1]: the target mixes in the uniform distribution, so each row's loss is
   * `(1 - epsilon) * nll + epsilon * mean_c(-log p_c)` (default 0).
   */
  readonly labelSmoothing?: number;
  /**
   * Rows whose label equals this contribute 0, and `"mean"` divides by the number of other
   * rows (default -100, as PyTorch; a batch whose rows are all ignored gives NaN, as PyTorch).
   */
  readonly ignoreIndex?: number;
}

const LOSS_KEYS: OptionKeys<LossOptions> = { reduction: true };
const CE_KEYS: OptionKeys<CrossEntropyOptions> = {
  reduction: true,
  labelSmoothing: true,
  ignoreIndex: true,
};

const reductionOf = (op: string, opts: LossOptions | undefined): LossReduction => {
  const r = opts?.reduction ?? "mean";
  if (r !== "mean" && r !== "sum" && r !== "none") {
    throw new LoomError(
      "invalid_argument",
      op,
      `reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`,
    );
  }
  return r;
};

const reduce = (loss: Tensor, reduction: LossReduction): Tensor =>
  reduction === "none" ? loss : reduction === "sum" ? sum(loss) : mean(loss);

/**
 * Cross-entropy of `logits` `[B, C]` against int32 class `labels` `[B]`, exactly as
 * torch.nn.functional.cross_entropy: per row `-logSoftmax(logits)[label]` (picked with a
 * one-hot mask), blended with `mean_c(-logSoftmax)` by `labelSmoothing`; rows labelled
 * `ignoreIndex` count 0 and `"mean"` averages over the other rows. Finite for finite logits.
 */
export const softmaxCrossEntropy = (
  logits: Tensor,
  labels: Tensor,
  opts: CrossEntropyOptions = {},
): Tensor => {
  const op = "softmaxCrossEntropy";
  checkOptions(op, opts, CE_KEYS);
  const reduction = reductionOf(op, opts);
  const { labelSmoothing: eps = 0, ignoreIndex = -100 } = opts ?? {};
  if (typeof eps !== "number" || !(eps >= 0 && eps <= 1)) {
    throw new LoomError(
      "invalid_argument",
      op,
      `labelSmoothing must be in [0, 1], got ${String(eps)}`,
    );
  }
  if (!Number.isInteger(ignoreIndex)) {
    throw new LoomError(
      "invalid_argument",
      op,
      `ignoreIndex must be an integer, got ${String(ignoreIndex)}`,
    );
  }
  const shapes = [logits.shape, labels.shape];
  const types = `logits ${formatType(logits)}, labels ${formatType(labels)}`;
  if (logits.shape.length !== 2 || labels.shape.length !== 1) {
    throw new LoomError(
      "rank_mismatch",
      op,
      `expects logits [B, C] and labels [B], got ${types}`,
      shapes,
    );
  }
  requireFloat(op, "logits", logits);
  if (labels.dtype !== "int32") {
    throw new LoomError(
      "dtype_mismatch",
      op,
      `labels must be int32 class indices, got ${types}; cast them with cast(labels, "int32")`,
      shapes,
    );
  }
  const [batch, classes] = logits.shape;
  if (labels.shape[0] !== batch) {
    throw new LoomError(
      "shape_mismatch",
      op,
      `logits and labels disagree on the batch dim, got ${types}`,
      shapes,
    );
  }
  if (typeof classes !== "number") {
    throw new LoomError(
      "invalid_argument",
      op,
      `the class dim must be concrete, got ${types}`,
      shapes,
    );
  }
  const logp = logSoftmax(logits, -1);
  const nll = neg(sum(mul(oneHot(labels, classes, logits.dtype), logp), [1]));
  const perRow = eps === 0 ? nll : sub(mul(nll, 1 - eps), mul(sum(logp, [1]), eps / classes));
  const kept = cast(ne(labels, ignoreIndex), logits.dtype);
  const masked = mul(perRow, kept);
  return reduction === "mean" ? div(sum(masked), sum(kept)) : reduce(masked, reduction);
};

/**
 * Binary cross-entropy of `logits` against `targets` in [0, 1] (torch's
 * binary_cross_entropy_with_logits), as `softplus(x) - x*t`: softplus never exponentiates a
 * large positive number and its gradient is `sigmoid(x)`, so the gradient `sigmoid(x) - t` is
 * finite everywhere (and 0.5 - t at x = 0).
 */
export const binaryCrossEntropyWithLogits = (
  logits: Tensor,
  targets: Tensor,
  opts: LossOptions = {},
): Tensor => {
  const op = "binaryCrossEntropyWithLogits";
  checkOptions(op, opts, LOSS_KEYS);
  requireFloat(op, "logits", logits);
  requireSameType(op, logits, targets, "logits and targets");
  const x = logits;
  return reduce(sub(prim("softplus", [x]), mul(x, targets)), reductionOf(op, opts));
};

/** Squared error `(pred - target)^2`, averaged over all elements by default (torch's mse_loss). */
export const mse = (pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor => {
  const op = "mse";
  checkOptions(op, opts, LOSS_KEYS);
  requireFloat(op, "pred", pred);
  requireSameType(op, pred, target, "pred and target");
  return reduce(square(sub(pred, target)), reductionOf(op, opts));
};

/** Absolute error `|pred - target|`, averaged over all elements by default (torch's l1_loss). */
export const l1Loss = (pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor => {
  const op = "l1Loss";
  checkOptions(op, opts, LOSS_KEYS);
  requireFloat(op, "pred", pred);
  requireSameType(op, pred, target, "pred and target");
  return reduce(abs(sub(pred, target)), reductionOf(op, opts));
};
