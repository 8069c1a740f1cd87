import type { DType } from "@loom/graph";
import type { Tensor } from "../core";
import { add, cast, div, mul, neg, pow, sqrt, square, sub } from "../api/elementwise";
import type { LearningRate } from "./schedules";
import { checkLearningRate } from "./schedules";
import { withL2 } from "./sgd";
import { slotOptimizer } from "./slot-optimizer";
import type { GradientTransformation } from "./transform";
import { checkHyper } from "./transform";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/** Options of {@link adam} and {@link adamw}, with torch's defaults. */
export type AdamOptions = {
  /** Decay of the first-moment (mean) estimate. */
  readonly beta1?: number;
  /** Decay of the second-moment (uncentered variance) estimate. */
  readonly beta2?: number;
  /** Added to sqrt(v_hat), outside the square root. */
  readonly eps?: number;
  /** lambda: an L2 term in the gradient for adam, decoupled decay of the weights for adamw. */
  readonly weightDecay?: number;
};

const ADAM_KEYS: OptionKeys<AdamOptions> = {
  beta1: true,
  beta2: true,
  eps: true,
  weightDecay: true,
};

const makeAdam = (
  op: string,
  lr: LearningRate,
  opts: AdamOptions,
  defaultDecay: number,
  decoupled: boolean,
): GradientTransformation => {
  const {
    beta1 = 0.9,
    beta2 = 0.999,
    eps = 1e-8,
    weightDecay = defaultDecay,
  } = checkOptions(op, opts, ADAM_KEYS);
  checkLearningRate(op, lr);
  checkHyper(op, "beta1", beta1, (v) => v >= 0 && v < 1, "in [0, 1)");
  checkHyper(op, "beta2", beta2, (v) => v >= 0 && v < 1, "in [0, 1)");
  checkHyper(op, "eps", eps, (v) => v >= 0, "a number >= 0");
  checkHyper(op, "weightDecay", weightDecay, (v) => v >= 0, "a number >= 0");
  return slotOptimizer(op, lr, ["m", "v"], (step, rate) => {
    // The bias corrections 1 - beta^t, t counting from 1, once per dtype of params.
    const corrections = new Map<DType, { c1: Tensor; c2: Tensor }>();
    const correction = (dtype: DType) => {
      let c = corrections.get(dtype);
      if (c === undefined) {
        const t = add(cast(step, dtype), 1);
        c = { c1: sub(1, pow(beta1, t)), c2: sub(1, pow(beta2, t)) };
        corrections.set(dtype, c);
      }
      return c;
    };
    return (x) => {
      const g = decoupled ? x.grads : withL2(x.grads, x.params, weightDecay);
      const { c1, c2 } = correction(g.dtype);
      const lrT = rate(g.dtype);
      const m1 = add(mul(x["state.m"], beta1), mul(g, 1 - beta1));
      const v1 = add(mul(x["state.v"], beta2), mul(square(g), 1 - beta2));
      const adamStep = div(div(m1, c1), add(sqrt(div(v1, c2)), eps));
      let u = mul(adamStep, neg(lrT));
      if (decoupled && weightDecay !== 0) u = sub(u, mul(x.params, mul(lrT, weightDecay)));
      return { u, m: m1, v: v1 };
    };
  });
};

/**
 * Adam following the algorithm documented for torch.optim.Adam (amsgrad false). With
 * `gamma = lr(t)` and t counting updates from 1:
 *
 *     g = grad + lambda * theta                          (if weightDecay != 0: L2 in the gradient)
 *     m = beta1 * m + (1 - beta1) * g
 *     v = beta2 * v + (1 - beta2) * g^2
 *     m_hat = m / (1 - beta1^t),   v_hat = v / (1 - beta2^t)
 *     theta = theta - gamma * m_hat / (sqrt(v_hat) + eps)
 *
 * eps is added outside the square root, as in torch. State: `{ step, m, v }`, `m` and `v`
 * trees like the params with the params' dtype; `step` is a float32 scalar, exact up to
 * 2^24 updates.
 */
export const adam = (lr: LearningRate, opts: AdamOptions = {}): GradientTransformation =>
  makeAdam("adam", lr, opts, 0, false);

/**
 * AdamW following the algorithm documented for torch.optim.AdamW: decoupled weight decay
 * `theta = theta - gamma * lambda * theta` (from the weights before this step), then the
 * Adam step above on the raw gradient. Default lambda 0.01 as torch. State as {@link adam}.
 */
export const adamw = (lr: LearningRate, opts: AdamOptions = {}): GradientTransformation =>
  makeAdam("adamw", lr, opts, 0.01, true);
