import { LoomError, formatShape } from "@loom/graph";
import type { Tensor } from "../core";
import { linear } from "../composites/linear";
import { split } from "../random";
import type { Initializer } from "./initializers";
import { fansOf, torchDefault } from "./initializers";
import type { Layer, NoVars } from "./layer";
import { layer } from "./layer";
import type { OptionKeys } from "../api/options";
import { layerOptions } from "./shorthand";

/** Options of a dense layer. */
export interface DenseOptions {
  /** Output features (PyTorch's `out_features`). */
  readonly out: number;
  /** Whether the layer has a bias parameter (default true). */
  readonly bias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

const DENSE_KEYS: OptionKeys<DenseOptions> = {
  out: true,
  bias: true,
  kernelInit: true,
  biasInit: true,
};

/** A dense layer's params: the weight `[out, in]` and, unless `bias: false`, the bias `[out]`. */
export type DenseParams = { w: Tensor; b?: Tensor };

/**
 * A fully connected layer `y = x W^T + b` with W of shape [out, in] (PyTorch's layout), over
 * the last axis of its input: `nn.dense({ out: 10 })`, or `nn.dense(10)` and
 * `nn.dense(10, { bias: false })`. Params `{ w, b }`.
 */
export function dense(opts: DenseOptions): Layer<DenseParams, NoVars>;
export function dense(out: number, opts?: Omit<DenseOptions, "out">): Layer<DenseParams, NoVars>;
export function dense(...args: unknown[]): Layer<DenseParams, NoVars> {
  const opts = layerOptions<DenseOptions>("dense", args, ["out"], DENSE_KEYS);
  const units = opts.out;
  if (!Number.isInteger(units) || units < 1)
    throw new LoomError(
      "invalid_argument",
      "dense",
      `out (the number of output features) must be a positive integer, got ${units}`,
    );
  const kernelInit = opts.kernelInit ?? torchDefault;
  const biasInit = opts.biasInit ?? torchDefault;
  return layer<DenseParams, NoVars>({
    kind: "dense",
    init: (k, spec) => {
      const inDim = spec.shape[spec.shape.length - 1];
      if (typeof inDim !== "number") {
        throw new LoomError(
          "invalid_argument",
          "dense",
          `needs a concrete last input dim, got ${formatShape(spec.shape)}`,
          [spec.shape],
        );
      }
      const dtype = spec.dtype ?? "float32";
      const [kw, kb] = split(k, 2);
      const fans = fansOf([units, inDim]);
      const w = kernelInit(kw!, [units, inDim], fans, dtype);
      const params: DenseParams = { w };
      if (opts.bias !== false) params.b = biasInit(kb!, [units], fans, dtype);
      return { params, state: {} };
    },
    apply: (params, state, x) => ({ y: linear(x, params.w, params.b), state }),
  });
}
