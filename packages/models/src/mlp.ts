import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec } from "@loom/ops";
import { linear, relu, reshape } from "@loom/ops";

/** One dense layer's parameters, PyTorch layout: `w` is `[out, in]`, `b` is `[out]`. */
export type DenseParams<T> = { w: T; b: T };

/** An MLP's parameter pytree; `T` is Tensor when tracing, TensorSpec for shapes, HostTensor for values. */
export type MlpParams<T = Tensor> = { layers: DenseParams<T>[] };

/** The default MNIST MLP: 784 inputs, one hidden layer of 128, 10 classes. */
export const MLP_SIZES: readonly number[] = [784, 128, 10];

/** The parameter specs of an MLP with layer widths `sizes` (inputs first, classes last). */
export const mlpParamSpecs = (sizes: readonly number[] = MLP_SIZES): MlpParams<TensorSpec> => {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new LoomError(
      "invalid_argument",
      "mlpParamSpecs",
      `sizes must be at least two positive integers (inputs, ..., classes), got [${sizes.join(",")}]`,
    );
  }
  return {
    layers: sizes.slice(1).map((out, i) => ({
      w: { shape: [out, sizes[i]!], dtype: "float32" },
      b: { shape: [out], dtype: "float32" },
    })),
  };
};

/** The MLP's logits: dense layers with ReLU between them (none after the last); images are flattened first. */
export const mlpForward = (params: MlpParams, x: Tensor): Tensor => {
  const last = params.layers.length - 1;
  return params.layers.reduce(
    (h, { w, b }, i) => {
      const y = linear(h, w, b);
      return i === last ? y : relu(y);
    },
    x.shape.length > 2 ? reshape(x, [x.shape[0]!, -1]) : x,
  );
};
