import type { Tensor } from "../core";
import { add, div, mul, neg, sqrt, square, sub } from "../api/elementwise";
import type { LearningRate } from "./schedules";
import { checkLearningRate } from "./schedules";
import { withL2 } from "./sgd";
import { slotOptimizer } from "./slot-optimizer";
import type { GradientTransformation } from "./transform";
import { checkHyper } from "./transform";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/** Options of {@link rmsprop}, with torch.optim.RMSprop's defaults. */
export type RmspropOptions = {
  /** Smoothing constant of the squared-gradient average. */
  readonly alpha?: number;
  /** Added to the root mean square, outside the square root. */
  readonly eps?: number;
  /** Momentum factor mu (0: none). */
  readonly momentum?: number;
  /** L2 penalty lambda added to the gradient. */
  readonly weightDecay?: number;
  /** Normalise by the variance (v minus the squared mean gradient) instead of v. */
  readonly centered?: boolean;
};

const RMSPROP_KEYS: OptionKeys<RmspropOptions> = {
  alpha: true,
  eps: true,
  momentum: true,
  weightDecay: true,
  centered: true,
};

/**
 * RMSprop following the algorithm documented for torch.optim.RMSprop. With `gamma = lr(t)`:
 *
 *     g  = grad + lambda * theta                       (if weightDecay != 0)
 *     v  = alpha * v + (1 - alpha) * g^2
 *     vt = v,  or if centered: gAvg = alpha * gAvg + (1 - alpha) * g;  vt = v - gAvg^2
 *     if momentum: b = mu * b + g / (sqrt(vt) + eps);  theta = theta - gamma * b
 *     else:        theta = theta - gamma * g / (sqrt(vt) + eps)
 *
 * eps is added outside the square root, as in torch. State: `{ step, v }`, plus `gAvg` when
 * centered and `b` when momentum != 0, each a tree like the params starting at zeros.
 */
export const rmsprop = (lr: LearningRate, opts: RmspropOptions = {}): GradientTransformation => {
  const {
    alpha = 0.99,
    eps = 1e-8,
    momentum = 0,
    weightDecay = 0,
    centered = false,
  } = checkOptions("rmsprop", opts, RMSPROP_KEYS);
  checkHyper("rmsprop", "alpha", alpha, (v) => v >= 0 && v <= 1, "in [0, 1]");
  checkHyper("rmsprop", "eps", eps, (v) => v >= 0, "a number >= 0");
  checkLearningRate("rmsprop", lr);
  checkHyper("rmsprop", "momentum", momentum, (v) => v >= 0, "a number >= 0");
  checkHyper("rmsprop", "weightDecay", weightDecay, (v) => v >= 0, "a number >= 0");
  const slots = ["v", ...(centered ? ["gAvg"] : []), ...(momentum !== 0 ? ["b"] : [])];
  return slotOptimizer("rmsprop", lr, slots, (_step, rate) => (x) => {
    const g = withL2(x.grads, x.params, weightDecay);
    const v = add(mul(x["state.v"], alpha), mul(square(g), 1 - alpha));
    const next: Record<string, Tensor> = { v };
    let vt = v;
    if (centered) {
      next.gAvg = add(mul(x["state.gAvg"], alpha), mul(g, 1 - alpha));
      vt = sub(v, square(next.gAvg));
    }
    const scaled = div(g, add(sqrt(vt), eps));
    let d = scaled;
    if (momentum !== 0) d = next.b = add(mul(x["state.b"], momentum), scaled);
    return { u: mul(d, neg(rate(g.dtype))), ...next };
  });
};
