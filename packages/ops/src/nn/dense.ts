import { LoomError, formatShape } from "@loom/graph";
import type { Tensor } from "../core";
import { linear } from "../composites/linear";
import { split } from "../random";
import type { Initializer } from "./initializers";
import { fansOf, torchDefault } from "./initializers";
import type { Layer } from "./layer";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/** Options of a dense layer. */
export interface DenseOptions {
  readonly bias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

const DENSE_KEYS: OptionKeys<DenseOptions> = { bias: true, kernelInit: true, biasInit: true };

/**
 * A fully connected layer `y = x W^T + b` with W of shape [units, in] (PyTorch's layout), over
 * the last axis of its input. Params `{ w, b }`.
 */
export const dense = (units: number, opts: DenseOptions = {}): Layer => {
  if (!Number.isInteger(units) || units < 1)
    throw new LoomError(
      "invalid_argument",
      "dense",
      `units must be a positive integer, got ${units}`,
    );
  checkOptions("dense", opts, DENSE_KEYS);
  const kernelInit = opts.kernelInit ?? torchDefault;
  const biasInit = opts.biasInit ?? torchDefault;
  return {
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
      const params: Record<string, Tensor> = { w };
      if (opts.bias !== false) params["b"] = biasInit(kb!, [units], fans, dtype);
      return { params, state: {} };
    },
    apply: (params, state, x) => {
      const p = params as { w: Tensor; b?: Tensor };
      return { y: linear(x, p.w, p.b), state };
    },
  };
};
