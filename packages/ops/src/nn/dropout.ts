import { LoomError } from "@loom/graph";
import { mul, select } from "../api/elementwise";
import type { OptionKeys } from "../api/options";
import { bernoulli } from "../random";
import type { Layer, NoVars } from "./layer";
import { layer } from "./layer";
import { layerOptions } from "./shorthand";

/** Options of a dropout layer. */
export interface DropoutOptions {
  /** The probability of dropping an element, in [0, 1). */
  readonly rate: number;
}

const DROPOUT_KEYS: OptionKeys<DropoutOptions> = { rate: true };

/**
 * Inverted dropout (Srivastava et al.): in training each element is kept with probability
 * 1 - rate and scaled by 1/(1 - rate), so the expectation is unchanged; at inference it is
 * the identity. The mask comes from the context's key, so it is reproducible.
 * `nn.dropout({ rate: 0.5 })` or `nn.dropout(0.5)`.
 */
export function dropout(opts: DropoutOptions): Layer<NoVars, NoVars>;
export function dropout(rate: number): Layer<NoVars, NoVars>;
export function dropout(...args: unknown[]): Layer<NoVars, NoVars> {
  const { rate } = layerOptions<DropoutOptions>("dropout", args, ["rate"], DROPOUT_KEYS);
  if (!(rate >= 0 && rate < 1))
    throw new LoomError("invalid_argument", "dropout", `rate must be in [0, 1), got ${rate}`);
  return layer<NoVars, NoVars>({
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
  });
}
