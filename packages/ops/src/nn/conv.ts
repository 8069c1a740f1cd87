import { LoomError, formatShape } from "@loom/graph";
import type { Tensor } from "../core";
import type { Conv2dOptions } from "../api/nn";
import { CONV2D_KEYS, conv2d as conv2dOp } from "../api/nn";
import type { OptionKeys } from "../api/options";
import { split } from "../random";
import type { Initializer } from "./initializers";
import { fansOf, torchDefault } from "./initializers";
import type { Layer, NoVars } from "./layer";
import { layer } from "./layer";
import { layerOptions } from "./shorthand";

/** Options of a conv layer: the op's (stride, padding, dilation, groups) plus bias and initializers. */
export interface ConvLayerOptions extends Omit<Conv2dOptions, "bias"> {
  /** Output channels (filters; PyTorch's `out_channels`). */
  readonly out: number;
  /** Kernel size: one number for a square kernel, or [kh, kw]. */
  readonly kernel: number | readonly [number, number];
  /** Whether the layer has a bias parameter (default true). */
  readonly bias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

const CONV_LAYER_KEYS: OptionKeys<ConvLayerOptions> = {
  ...CONV2D_KEYS,
  out: true,
  kernel: true,
  kernelInit: true,
  biasInit: true,
};

/** A conv layer's params: the OIHW weight and, unless `bias: false`, the bias `[out]`. */
export type ConvParams = { w: Tensor; b?: Tensor };

/**
 * A 2-D convolution layer over NCHW inputs with an OIHW weight of shape
 * [out, C/groups, kh, kw] and a per-filter bias: `nn.conv2d({ out: 8, kernel: 3, padding: 1 })`,
 * or `nn.conv2d(8, 3)` and `nn.conv2d(8, 3, { padding: 1 })`. Params `{ w, b }`.
 */
export function conv2d(opts: ConvLayerOptions): Layer<ConvParams, NoVars>;
export function conv2d(
  out: number,
  kernel: number | readonly [number, number],
  opts?: Omit<ConvLayerOptions, "out" | "kernel">,
): Layer<ConvParams, NoVars>;
export function conv2d(...args: unknown[]): Layer<ConvParams, NoVars> {
  const opts = layerOptions<ConvLayerOptions>("conv2d", args, ["out", "kernel"], CONV_LAYER_KEYS);
  const { out: filters, kernel, stride, padding, dilation, groups: g } = opts;
  const convOpts = { stride, padding, dilation, groups: g };
  const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : (kernel ?? []);
  if (![filters, kh, kw].every((v) => Number.isInteger(v) && v! >= 1)) {
    throw new LoomError(
      "invalid_argument",
      "conv2d",
      `out and kernel must be positive integers, got ${filters} and ${JSON.stringify(kernel)}`,
    );
  }
  const groups = opts.groups ?? 1;
  const kernelInit = opts.kernelInit ?? torchDefault;
  const biasInit = opts.biasInit ?? torchDefault;
  return layer<ConvParams, NoVars>({
    kind: "conv2d",
    init: (k, spec) => {
      const c = spec.shape[1];
      if (spec.shape.length !== 4 || typeof c !== "number") {
        throw new LoomError(
          "invalid_argument",
          "conv2d",
          `needs an NCHW input with concrete channels, got ${formatShape(spec.shape)}`,
          [spec.shape],
        );
      }
      const dtype = spec.dtype ?? "float32";
      const shape = [filters, c / groups, kh!, kw!];
      const fans = fansOf(shape);
      const [k1, k2] = split(k, 2);
      const params: ConvParams = { w: kernelInit(k1!, shape, fans, dtype) };
      if (opts.bias !== false) params.b = biasInit(k2!, [filters], fans, dtype);
      return { params, state: {} };
    },
    apply: (params, state, x) => ({
      y: conv2dOp(x, params.w, { ...convOpts, bias: params.b }),
      state,
    }),
  });
}
