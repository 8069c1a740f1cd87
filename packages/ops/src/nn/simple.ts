import type { Tensor } from "../core";
import { leakyRelu as leakyReluOp, relu as reluOp, tanh as tanhOp } from "../api/elementwise";
import { flatten as flattenOp } from "../api/movement";
import type { AvgPoolOptions, PoolOptions, Size2 } from "../api/nn";
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
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";
import { layerOptions } from "./shorthand";
import type { AdaptiveSize } from "../composites/pooling";
import { adaptiveAvgPool2d as adaptiveOp, globalAvgPool as gapOp } from "../composites/pooling";
import { softmax as softmaxOp } from "../composites/softmax";
import type { Layer, NoVars } from "./layer";
import { fnLayer } from "./layer";

type FnLayer = Layer<NoVars, NoVars>;

/** Max pooling as a layer: `nn.maxPool2d({ kernel: 2, stride: 1 })`, or `nn.maxPool2d(2)`. */
export function maxPool2d(opts: PoolOptions): FnLayer;
export function maxPool2d(kernel: Size2, opts?: Omit<PoolOptions, "kernel">): FnLayer;
export function maxPool2d(...args: unknown[]): FnLayer {
  const opts = layerOptions<PoolOptions>("maxPool2d", args, ["kernel"], POOL_KEYS);
  return fnLayer("maxPool2d", (x) => maxPoolOp(x, opts));
}

/** Average pooling as a layer (with avgPool2d's `countIncludePad`): `nn.avgPool2d({ kernel: 2 })` or `nn.avgPool2d(2)`. */
export function avgPool2d(opts: AvgPoolOptions): FnLayer;
export function avgPool2d(kernel: Size2, opts?: Omit<AvgPoolOptions, "kernel">): FnLayer;
export function avgPool2d(...args: unknown[]): FnLayer {
  const opts = layerOptions<AvgPoolOptions>("avgPool2d", args, ["kernel"], AVG_POOL_KEYS);
  return fnLayer("avgPool2d", (x) => avgPoolOp(x, opts));
}

/** Options of {@link adaptiveAvgPool2d}. */
export interface AdaptivePoolOptions {
  /** The output's `[oh, ow]`, or one number for both. */
  readonly size: AdaptiveSize;
}

const ADAPTIVE_KEYS: OptionKeys<AdaptivePoolOptions> = { size: true };

/**
 * Adaptive average pooling to `[oh, ow]` (torch.nn.AdaptiveAvgPool2d) as a layer:
 * `nn.adaptiveAvgPool2d({ size: 7 })`, or `nn.adaptiveAvgPool2d(7)` and `nn.adaptiveAvgPool2d([1, 3])`.
 */
export function adaptiveAvgPool2d(opts: AdaptivePoolOptions): FnLayer;
export function adaptiveAvgPool2d(size: AdaptiveSize): FnLayer;
export function adaptiveAvgPool2d(...args: unknown[]): FnLayer {
  const { size } = layerOptions<AdaptivePoolOptions>(
    "adaptiveAvgPool2d",
    args,
    ["size"],
    ADAPTIVE_KEYS,
  );
  return fnLayer("adaptiveAvgPool2d", (x) => adaptiveOp(x, size));
}
/** Global average pooling [N,C,H,W] -> [N,C]. */
export const globalAvgPool = (): FnLayer => fnLayer("globalAvgPool", gapOp);
/** Flattens all axes after the batch axis. */
export const flatten = (): FnLayer => fnLayer("flatten", (x: Tensor) => flattenOp(x, 1));
/** ReLU as a layer. */
export const relu = (): FnLayer => fnLayer("relu", reluOp);
/** Logistic sigmoid as a layer. */
export const sigmoid = (): FnLayer => fnLayer("sigmoid", sigmoidOp);
/** softplus (PyTorch's `beta`, `threshold`) as a layer. */
export const softplus = (opts: SoftplusOptions = {}): FnLayer => {
  checkOptions("softplus", opts, SOFTPLUS_KEYS);
  return fnLayer("softplus", (x) => softplusOp(x, opts));
};
/** tanh as a layer. */
export const tanh = (): FnLayer => fnLayer("tanh", tanhOp);
/** Options of {@link leakyRelu}. */
export interface LeakyReluOptions {
  /** The slope for negative inputs (PyTorch's `negative_slope`, default 0.01). */
  readonly slope?: number;
}

const LEAKY_KEYS: OptionKeys<LeakyReluOptions> = { slope: true };

/** Leaky ReLU as a layer: `nn.leakyRelu()`, `nn.leakyRelu({ slope: 0.2 })` or `nn.leakyRelu(0.2)`. */
export function leakyRelu(opts?: LeakyReluOptions): FnLayer;
export function leakyRelu(slope: number): FnLayer;
export function leakyRelu(...args: unknown[]): FnLayer {
  const { slope = 0.01 } = layerOptions<LeakyReluOptions>("leakyRelu", args, ["slope"], LEAKY_KEYS);
  return fnLayer("leakyRelu", (x) => leakyReluOp(x, slope));
}
/** Softmax over the last axis as a layer (for outputs read as probabilities; train on logits). */
export const softmax = (): FnLayer => fnLayer("softmax", (x) => softmaxOp(x, -1));
