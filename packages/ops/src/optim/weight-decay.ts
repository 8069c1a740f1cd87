import { add, mul } from "../api/elementwise";
import type { GradientTransformation } from "./transform";
import { checkHyper, treeMap2 } from "./transform";

/**
 * Decoupled weight decay as a transformation (Optax's add_decayed_weights): `updates +=
 * wd * params` on the leaves whose path `mask` accepts (all by default). Chained before
 * `scaleByLearningRate(lr)` it decays the weights by `lr * wd * theta` per step, AdamW's
 * decay. Stateless (state `{}`).
 */
export const addDecayedWeights = (
  wd: number,
  mask?: (path: string) => boolean,
): GradientTransformation => {
  checkHyper("addDecayedWeights", "wd", wd, (v) => v >= 0, "a number >= 0");
  return {
    init: () => ({}),
    update: (grads, state, params) => ({
      updates: treeMap2(grads, params, (g, p, path) =>
        mask === undefined || mask(path) ? add(g, mul(p, wd)) : g,
      ),
      state,
    }),
  };
};
