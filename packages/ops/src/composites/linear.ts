import { formatShape, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { add } from "../api/elementwise";
import { transpose } from "../api/movement";
import { matmul } from "../api/nn";

/**
 * A dense layer `x @ w^T + b` with PyTorch's weight layout (`w` is `[out, in]`), so PyTorch
 * weights load without transposes; the transpose is a view, not a copy.
 */
export const linear = (x: Tensor, w: Tensor, b?: Tensor): Tensor => {
  const shapes = b === undefined ? [x.shape, w.shape] : [x.shape, w.shape, b.shape];
  const shown = shapes.map(formatShape).join(", ");
  if (w.shape.length !== 2) {
    throw new LoomError(
      "rank_mismatch",
      "linear",
      `weights must be [out, in], got ${shown}`,
      shapes,
    );
  }
  const [out, inp] = w.shape;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inp) {
    throw new LoomError(
      "shape_mismatch",
      "linear",
      `the last dim of x must equal the weights' in-dim ${inp} (weights are [out, in]), got ${shown}`,
      shapes,
    );
  }
  if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== out)) {
    throw new LoomError(
      "shape_mismatch",
      "linear",
      `bias must be [${out}] (the weights' out-dim), got ${shown}`,
      shapes,
    );
  }
  const y = matmul(x, transpose(w, [1, 0]));
  return b === undefined ? y : add(y, b);
};
