import { LoomError } from "@loom/graph";
import { mul, select } from "../api/elementwise";
import { bernoulli } from "../random";
import type { Layer } from "./layer";

/**
 * Inverted dropout (Srivastava et al.): in training each element is kept with probability
 * 1 - rate and scaled by 1/(1 - rate), so the expectation is unchanged; at inference it is
 * the identity. The mask comes from the context's key, so it is reproducible.
 */
export const dropout = (rate: number): Layer => {
  if (!(rate >= 0 && rate < 1))
    throw new LoomError("invalid_argument", "dropout", `rate must be in [0, 1), got ${rate}`);
  return {
    kind: "dropout",
    init: () => ({ params: {}, state: {} }),
    apply: (_p, state, x, ctx) => {
      if (!ctx.training || rate === 0) return { y: x, state };
      if (ctx.key === undefined) {
        throw new LoomError(
          "invalid_argument",
          "dropout",
          "needs a PRNG key in training (pass { training: true, key })",
        );
      }
      const keep = bernoulli(ctx.key, 1 - rate, x.shape);
      return { y: select(keep, mul(x, 1 / (1 - rate)), 0), state };
    },
  };
};
