import type { Dim } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { scalar } from "../core";
import { add, broadcastTo, div, maximum, mul, rsqrt, square, sub } from "../api/elementwise";
import { reshape } from "../api/movement";
import { mean, sum } from "../api/reduce";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";
import { constantInit, zeros } from "./initializers";
import type { Layer } from "./layer";
import { layer } from "./layer";

/** Options of batch normalisation; defaults are PyTorch's. */
export interface BatchNormOptions {
  /** Weight of the new batch statistic in the running average (PyTorch's momentum, 0.1). */
  readonly momentum?: number;
  /** Added to the variance before the square root (1e-5). */
  readonly eps?: number;
}

const BATCH_NORM_KEYS: OptionKeys<BatchNormOptions> = { momentum: true, eps: true };

/** Batch norm's params: per-channel scale and shift. */
export type BatchNormParams = { gamma: Tensor; beta: Tensor };

/** Batch norm's state: the per-channel running mean and variance. */
export type BatchNormState = { mean: Tensor; var: Tensor };

/**
 * Batch normalisation (Ioffe & Szegedy) per channel (axis 1) over every other axis, for inputs
 * [N, C], [N, C, L] and [N, C, H, W], exactly as torch.nn.BatchNorm1d/2d: in training, batch mean
 * and biased variance normalise, and the running averages are updated as
 * `running = (1 - momentum) * running + momentum * stat` with the UNBIASED batch variance; at
 * inference the running averages normalise. Params `{ gamma, beta }`, state `{ mean, var }`.
 */
export const batchNorm = (opts: BatchNormOptions = {}): Layer<BatchNormParams, BatchNormState> => {
  checkOptions("batchNorm", opts, BATCH_NORM_KEYS);
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const channels = (shape: readonly Dim[]) => {
    const c = shape[1];
    if (shape.length < 2 || shape.length > 4 || typeof c !== "number") {
      throw new LoomError(
        "invalid_argument",
        "batchNorm",
        `needs [N,C], [N,C,L] or [N,C,H,W] with concrete C, got ${formatShape(shape)}`,
        [shape],
      );
    }
    return c;
  };
  return layer<BatchNormParams, BatchNormState>({
    kind: "batchNorm",
    init: (k, spec) => {
      const c = channels(spec.shape);
      const dtype = spec.dtype ?? "float32";
      const f = { fanIn: c, fanOut: c };
      return {
        params: { gamma: constantInit(1)(k, [c], f, dtype), beta: zeros(k, [c], f, dtype) },
        state: { mean: zeros(k, [c], f, dtype), var: constantInit(1)(k, [c], f, dtype) },
      };
    },
    apply: (params, state, x, ctx) => {
      const c = channels(x.shape);
      const [p, s] = [params, state];
      // Statistics per channel over all other axes; [c, 1, ...] broadcasts over the trailing ones.
      const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
      const bshape = [c, ...x.shape.slice(2).map(() => 1)];
      const norm = (m: Tensor, v: Tensor) =>
        add(
          mul(
            mul(sub(x, reshape(m, bshape)), reshape(rsqrt(add(v, eps)), bshape)),
            reshape(p.gamma, bshape),
          ),
          reshape(p.beta, bshape),
        );
      if (!ctx.training) return { y: norm(s.mean, s.var), state };
      const m = mean(x, axes);
      const v = mean(square(sub(x, reshape(m, bshape))), axes);
      // Bessel's n / (n - 1), with n counted in the graph so that a symbolic batch "N" works.
      const n = sum(broadcastTo(scalar(1, x.dtype), x.shape), axes);
      const unbiased = mul(v, div(n, maximum(sub(n, 1), 1)));
      return {
        y: norm(m, v),
        state: {
          mean: add(mul(s.mean, 1 - momentum), mul(m, momentum)),
          var: add(mul(s.var, 1 - momentum), mul(unbiased, momentum)),
        },
      };
    },
  });
};
