import type { Tensor } from "../core";
import { div, exp, log, sub } from "../api/elementwise";
import { max, sum } from "../api/reduce";

// Both subtract the max along the axis first, so exp never overflows (logits of 1e4 stay finite).
// No stop-gradient: the max cancels mathematically, so its gradient contributions sum to zero.
const shifted = (x: Tensor, axis: number): Tensor => sub(x, max(x, [axis], true));

/** Softmax along `axis`, computed as `exp(x - max) / sum(exp(x - max))` so large logits stay finite. */
export const softmax = (x: Tensor, axis = -1): Tensor => {
  const e = exp(shifted(x, axis));
  return div(e, sum(e, [axis], true));
};

/** Log-softmax along `axis` as `z - log(sum(exp(z)))` with `z = x - max`: exact where log(softmax) underflows. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => {
  const z = shifted(x, axis);
  return sub(z, log(sum(exp(z), [axis], true)));
};
