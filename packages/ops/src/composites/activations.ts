import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { prim } from "../core";
import { div, gt, mul, neg, select } from "../api/elementwise";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/**
 * Logistic sigmoid `1 / (1 + e^-x)`: saturates to 0 and 1 for large |x|, and its gradient
 * `y (1 - y)` (from the output, as PyTorch's) is 0 there, never NaN.
 */
export const sigmoid = (x: Tensor): Tensor => prim("sigmoid", [x]);

/** Options of {@link softplus}: PyTorch's `beta` and `threshold`. */
export interface SoftplusOptions {
  /** Sharpness: `log(1 + e^(beta x)) / beta` (default 1). */
  readonly beta?: number;
  /** Where `beta * x > threshold` the result is `x` itself, with gradient exactly 1 (default 20). */
  readonly threshold?: number;
}

/** The keys of {@link SoftplusOptions}, for checking. */
export const SOFTPLUS_KEYS: OptionKeys<SoftplusOptions> = { beta: true, threshold: true };

/**
 * `softplus(x) = log(1 + e^(beta x)) / beta`, and `x` where `beta * x > threshold`, exactly as
 * torch.nn.functional.softplus. Computed in a form that never overflows, with the gradient
 * `sigmoid(beta x)` (1 above the threshold), so it is finite for every finite x.
 */
export const softplus = (x: Tensor, opts: SoftplusOptions = {}): Tensor => {
  const { beta = 1, threshold = 20 } = checkOptions("softplus", opts, SOFTPLUS_KEYS);
  if (!Number.isFinite(beta) || beta <= 0 || Number.isNaN(threshold)) {
    throw new LoomError(
      "invalid_argument",
      "softplus",
      `beta must be a finite number > 0 and threshold a number, got beta ${beta}, threshold ${threshold}`,
      [x.shape],
    );
  }
  const bx = beta === 1 ? x : mul(x, beta);
  const smooth = prim("softplus", [bx]);
  const y = beta === 1 ? smooth : div(smooth, beta);
  return threshold === Infinity ? y : select(gt(bx, threshold), x, y);
};

/**
 * `log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|)` (torch.nn.functional.logsigmoid): exact for
 * large negative x, where `log(sigmoid(x))` would be `log(0)`, with gradient `1 - sigmoid(x)`.
 */
export const logSigmoid = (x: Tensor): Tensor => neg(prim("softplus", [neg(x)]));
