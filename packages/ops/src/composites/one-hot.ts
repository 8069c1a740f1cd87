import type { DType } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { cast, eq, iota } from "../api/elementwise";
import { expandDims } from "../api/movement";

/**
 * One-hot encoding: `labels` int32 `[...]` becomes `[..., numClasses]` with 1 at each label.
 * Built from compare and iota (no gather primitive); labels outside `[0, numClasses)` give a
 * row of zeros, as in TensorFlow.
 */
export const oneHot = (labels: Tensor, numClasses: number, dtype: DType = "float32"): Tensor => {
  if (labels.dtype !== "int32") {
    throw new LoomError(
      "dtype_mismatch",
      "oneHot",
      `labels must be int32, got ${labels.dtype}${formatShape(labels.shape)}; cast them with cast(labels, "int32")`,
      [labels.shape],
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new LoomError(
      "invalid_argument",
      "oneHot",
      `numClasses must be a positive integer, got ${numClasses}`,
    );
  }
  const classes = iota([...labels.shape, numClasses], labels.shape.length);
  return cast(eq(expandDims(labels, -1), classes), dtype);
};
