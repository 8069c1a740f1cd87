import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { add, mul, neg } from "../api/elementwise";
import type { LearningRate } from "./schedules";
import { checkLearningRate } from "./schedules";
import { slotOptimizer } from "./slot-optimizer";
import type { GradientTransformation } from "./transform";
import { checkHyper } from "./transform";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/** Options of {@link sgd}, with torch.optim.SGD's defaults. */
export type SgdOptions = {
  /** Momentum factor mu (0: plain SGD). */
  readonly momentum?: number;
  /** Nesterov momentum (needs momentum > 0). */
  readonly nesterov?: boolean;
  /** L2 penalty lambda added to the gradient. */
  readonly weightDecay?: number;
};

const SGD_KEYS: OptionKeys<SgdOptions> = { momentum: true, nesterov: true, weightDecay: true };

/** `g + wd * theta`: weight decay as an L2 term in the gradient (torch's `weight_decay`). */
export const withL2 = (g: Tensor, theta: Tensor, wd: number): Tensor =>
  wd === 0 ? g : add(g, mul(theta, wd));

/**
 * Stochastic gradient descent following the algorithm documented for torch.optim.SGD
 * (dampening 0, maximize false). With `gamma = lr(t)`:
 *
 *     g  = grad + lambda * theta                 (if weightDecay != 0)
 *     b  = mu * b + g                            (if momentum != 0; b starts at 0, so b_1 = g_1 as torch's)
 *     g  = g + mu * b  if nesterov,  else  g = b
 *     theta = theta - gamma * g
 *
 * State: `{ step }`, plus `{ b }` (a tree like the params) when momentum != 0. Torch
 * initialises the buffer to the first gradient; starting from zeros gives the same `b_1`
 * exactly since `mu * 0 + g = g`.
 */
export const sgd = (lr: LearningRate, opts: SgdOptions = {}): GradientTransformation => {
  const { momentum = 0, nesterov = false, weightDecay = 0 } = checkOptions("sgd", opts, SGD_KEYS);
  checkLearningRate("sgd", lr);
  checkHyper("sgd", "momentum", momentum, (v) => v >= 0, "a number >= 0");
  checkHyper("sgd", "weightDecay", weightDecay, (v) => v >= 0, "a number >= 0");
  if (nesterov && momentum === 0) {
    throw new LoomError(
      "invalid_argument",
      "sgd",
      "nesterov momentum needs momentum > 0 (as torch.optim.SGD requires)",
    );
  }
  const slots = momentum !== 0 ? ["b"] : [];
  return slotOptimizer("sgd", lr, slots, (_step, rate) => (x) => {
    let d = withL2(x.grads, x.params, weightDecay);
    const next: Record<string, Tensor> = {};
    if (momentum !== 0) {
      next.b = add(mul(x["state.b"], momentum), d);
      d = nesterov ? add(d, mul(next.b, momentum)) : next.b;
    }
    return { u: mul(d, neg(rate(d.dtype))), ...next };
  });
};
