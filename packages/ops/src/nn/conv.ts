import { LoomError, formatShape } from "@loom/graph";
import type { Tensor } from "../core";
import type { Conv2dOptions } from "../api/nn";
import { CONV2D_KEYS, conv2d as conv2dOp } from "../api/nn";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";
import { split } from "../random";
import type { Initializer } from "./initializers";
import { fansOf, torchDefault } from "./initializers";
import type { Layer } from "./layer";

/** Options of a conv layer: the op's (stride, padding, dilation, groups) plus bias and initializers. */
export interface ConvLayerOptions extends Omit<Conv2dOptions, "bias"> {
  /** Whether the layer has a bias parameter (default true). */
  readonly bias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

const CONV_LAYER_KEYS: OptionKeys<ConvLayerOptions> = {
  ...CONV2D_KEYS,
  kernelInit: true,
  biasInit: true,
};

/**
 * A 2-D convolution layer over NCHW inputs with an OIHW weight of shape
 * [filters, C/groups, kh, kw] and a per-filter bias. Params `{ w, b }`.
 */
export const conv2d = (
  filters: number,
  kernel: number | readonly [number, number],
  opts: ConvLayerOptions = {},
): Layer => {
  checkOptions("conv2d", opts, CONV_LAYER_KEYS);
  const { stride, padding, dilation, groups: g } = opts;
  const convOpts = { stride, padding, dilation, groups: g };
  const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : kernel;
  if (![filters, kh, kw].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new LoomError(
      "invalid_argument",
      "conv2d",
      `filters and kernel must be positive integers, got ${filters} and ${JSON.stringify(kernel)}`,
    );
  }
  const groups = opts.groups ?? 1;
  const kernelInit = opts.kernelInit ?? torchDefault;
  const biasInit = opts.biasInit ?? torchDefault;
  return {
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
      const w = kernelInit(k1!, shape, fans, dtype);
      const params: Record<string, Tensor> = { w };
      if (opts.bias !== false) params["b"] = biasInit(k2!, [filters], fans, dtype);
      return { params, state: {} };
    },
    apply: (params, state, x) => {
      const p = params as { w: Tensor; b?: Tensor };
      return { y: conv2dOp(x, p.w, { ...convOpts, bias: p.b }), state };
    },
  };
};
