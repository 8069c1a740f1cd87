import { formatType, isFloat, LoomError, shapeEq } from "@loom/graph";
import type { Tensor } from "../core";
import { abs, add, exp, log, maximum, mul, neg, square, sub } from "../api/elementwise";
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

/**
 * Mean cross-entropy of `logits` `[B, C]` against int32 class `labels` `[B]`: the mean of
 * `-logSoftmax(logits)[label]`, picked with a one-hot mask. Finite for any finite logits.
 */
export const softmaxCrossEntropy = (logits: Tensor, labels: Tensor): Tensor => {
  const op = "softmaxCrossEntropy";
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
  const picked = sum(mul(oneHot(labels, classes, logits.dtype), logSoftmax(logits, -1)), [1]);
  return neg(mean(picked));
};

/**
 * Mean binary cross-entropy of `logits` against `targets` in [0, 1], in the stable form
 * `max(x, 0) - x*t + log(1 + exp(-|x|))` that never exponentiates a large positive number.
 */
export const binaryCrossEntropyWithLogits = (logits: Tensor, targets: Tensor): Tensor => {
  const op = "binaryCrossEntropyWithLogits";
  requireFloat(op, "logits", logits);
  requireSameType(op, logits, targets, "logits and targets");
  const x = logits;
  return mean(add(sub(maximum(x, 0), mul(x, targets)), log(add(exp(neg(abs(x))), 1))));
};

/** Mean squared error over all elements. */
export const mse = (pred: Tensor, target: Tensor): Tensor => {
  const op = "mse";
  requireFloat(op, "pred", pred);
  requireSameType(op, pred, target, "pred and target");
  return mean(square(sub(pred, target)));
};
