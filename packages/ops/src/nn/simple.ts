import type { Tensor } from "../core";
import { leakyRelu as leakyReluOp, relu as reluOp, tanh as tanhOp } from "../api/elementwise";
import { flatten as flattenOp } from "../api/movement";
import type { AvgPoolOptions, PoolOptions } from "../api/nn";
import {
  AVG_POOL_KEYS,
  POOL_KEYS,
  avgPool2d as avgPoolOp,
  maxPool2d as maxPoolOp,
} from "../api/nn";
import type { SoftplusOptions } from "../composites/activations";
import {
  SOFTPLUS_KEYS,
  sigmoid as sigmoidOp,
  softplus as softplusOp,
} from "../composites/activations";
import { checkOptions } from "../api/options";
import type { AdaptiveSize } from "../composites/pooling";
import { adaptiveAvgPool2d as adaptiveOp, globalAvgPool as gapOp } from "../composites/pooling";
import { softmax as softmaxOp } from "../composites/softmax";
import type { Layer } from "./layer";
import { fnLayer } from "./layer";

/** Max pooling as a layer. */
export const maxPool2d = (opts: PoolOptions): Layer => {
  checkOptions("maxPool2d", opts, POOL_KEYS);
  return fnLayer("maxPool2d", (x) => maxPoolOp(x, opts));
};
/** Average pooling as a layer (with avgPool2d's `countIncludePad`). */
export const avgPool2d = (opts: AvgPoolOptions): Layer => {
  checkOptions("avgPool2d", opts, AVG_POOL_KEYS);
  return fnLayer("avgPool2d", (x) => avgPoolOp(x, opts));
};
/** Adaptive average pooling to `[oh, ow]` (torch.nn.AdaptiveAvgPool2d) as a layer. */
export const adaptiveAvgPool2d = (outputSize: AdaptiveSize): Layer =>
  fnLayer("adaptiveAvgPool2d", (x) => adaptiveOp(x, outputSize));
/** Global average pooling [N,C,H,W] -> [N,C]. */
export const globalAvgPool = (): Layer => fnLayer("globalAvgPool", gapOp);
/** Flattens all axes after the batch axis. */
export const flatten = (): Layer => fnLayer("flatten", (x: Tensor) => flattenOp(x, 1));
/** ReLU as a layer. */
export const relu = (): Layer => fnLayer("relu", reluOp);
/** Logistic sigmoid as a layer. */
export const sigmoid = (): Layer => fnLayer("sigmoid", sigmoidOp);
/** softplus (PyTorch's `beta`, `threshold`) as a layer. */
export const softplus = (opts: SoftplusOptions = {}): Layer => {
  checkOptions("softplus", opts, SOFTPLUS_KEYS);
  return fnLayer("softplus", (x) => softplusOp(x, opts));
};
/** tanh as a layer. */
export const tanh = (): Layer => fnLayer("tanh", tanhOp);
/** Leaky ReLU as a layer. */
export const leakyRelu = (slope = 0.01): Layer =>
  fnLayer("leakyRelu", (x) => leakyReluOp(x, slope));
/** Softmax over the last axis as a layer (for outputs read as probabilities; train on logits). */
export const softmax = (): Layer => fnLayer("softmax", (x) => softmaxOp(x, -1));
