import type { Tensor } from "../core";
import { isTensor, scalar } from "../core";
import { add, cast, div, minimum, mul, sqrt, square } from "../api/elementwise";
import { sum } from "../api/reduce";
import type { Tree } from "../pytree";
import { flattenTree, mapTree } from "../pytree";
import type { GradientTransformation } from "./transform";
import { checkHyper, widestFloat } from "./transform";

/**
 * The L2 norm of all leaves of a tree taken as one vector, `sqrt(sum of g^2)`, accumulated
 * in the widest float dtype of the leaves. Torch takes the norm of the per-tensor norms,
 * which is the same number up to rounding.
 */
export const globalNorm = (tree: Tree<Tensor>): Tensor => {
  const leaves = flattenTree(tree, isTensor).map((p) => p.leaf);
  const dtype = widestFloat(leaves);
  const squares = leaves.map((g) => cast(sum(square(g)), dtype));
  return sqrt(squares.reduce((a, b) => add(a, b), scalar(0, dtype)));
};

/**
 * Scales all gradients by one factor `min(1, maxNorm / (globalNorm + 1e-6))`, the formula of
 * torch.nn.utils.clip_grad_norm_, so that their joint norm is at most about `maxNorm` and
 * their direction is kept. Stateless (state `{}`); chain it before the optimizer.
 */
export const clipByGlobalNorm = (maxNorm: number): GradientTransformation => {
  checkHyper("clipByGlobalNorm", "maxNorm", maxNorm, (v) => v > 0, "a positive number");
  return {
    init: () => ({}),
    update: (grads, state) => {
      if (flattenTree(grads, isTensor).length === 0) return { updates: grads, state };
      const factor = minimum(div(maxNorm, add(globalNorm(grads), 1e-6)), 1);
      return { updates: mapTree(grads, isTensor, (g) => mul(g, cast(factor, g.dtype))), state };
    },
  };
};
