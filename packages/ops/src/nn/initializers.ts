import type { DType, Shape } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { scalar } from "../core";
import { broadcastTo } from "../api/elementwise";
import { normal, uniform } from "../random";

/** Makes a parameter tensor of `shape` from a key; fans are those of the layer (PyTorch's definition). */
export type Initializer = (k: Tensor, shape: Shape, fans: Fans, dtype: DType) => Tensor;

/** Fan-in and fan-out: for dense [out, in] they are in and out; for conv OIHW, I*KH*KW and O*KH*KW. */
export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/** The fans of a weight of shape [out, in, ...receptive field], as torch.nn.init computes them. */
export const fansOf = (shape: readonly number[]): Fans => {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: (shape[0] ?? 1) * receptive };
};

const floatOf = (dtype: DType): "float32" | "float64" => {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new LoomError(
      "invalid_argument",
      "init",
      `parameters must be float32 or float64, got ${dtype}`,
    );
  }
  return dtype;
};

/** All zeros (biases, batch-norm shifts). */
export const zeros: Initializer = (_k, shape, _f, dtype) => broadcastTo(scalar(0, dtype), shape);

/** All `value`. */
export const constantInit =
  (value: number): Initializer =>
  (_k, shape, _f, dtype) =>
    broadcastTo(scalar(value, dtype), shape);

/** Uniform in `[-limit, limit)`. */
export const uniformInit =
  (limit: (f: Fans) => number): Initializer =>
  (k, shape, f, dtype) =>
    uniform(k, shape, -limit(f), limit(f), floatOf(dtype));

/** Normal with mean 0 and the given standard deviation. */
export const normalInit =
  (std: (f: Fans) => number): Initializer =>
  (k, shape, f, dtype) =>
    normal(k, shape, 0, std(f), floatOf(dtype));

/** Glorot/Xavier uniform: Var = 2 / (fanIn + fanOut), limit sqrt(6 / (fanIn + fanOut)). */
export const xavierUniform = uniformInit(({ fanIn, fanOut }) => Math.sqrt(6 / (fanIn + fanOut)));
/** Glorot/Xavier normal: std sqrt(2 / (fanIn + fanOut)). */
export const xavierNormal = normalInit(({ fanIn, fanOut }) => Math.sqrt(2 / (fanIn + fanOut)));
/** He/Kaiming normal (for ReLU): Var = 2 / fanIn. */
export const heNormal = normalInit(({ fanIn }) => Math.sqrt(2 / fanIn));
/** He/Kaiming uniform: Var = 2 / fanIn, limit sqrt(6 / fanIn). */
export const heUniform = uniformInit(({ fanIn }) => Math.sqrt(6 / fanIn));
/** LeCun normal: Var = 1 / fanIn. */
export const lecunNormal = normalInit(({ fanIn }) => Math.sqrt(1 / fanIn));
/** LeCun uniform: Var = 1 / fanIn. */
export const lecunUniform = uniformInit(({ fanIn }) => Math.sqrt(3 / fanIn));
/**
 * PyTorch's default for Linear and Conv2d weights and biases, kaiming_uniform(a=sqrt(5)):
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)); the default here so PyTorch recipes carry over.
 */
export const torchDefault = uniformInit(({ fanIn }) => 1 / Math.sqrt(fanIn));

/** Initializers by name, for configuration from the CLI. */
export const INITIALIZERS = {
  zeros,
  xavierUniform,
  xavierNormal,
  heNormal,
  heUniform,
  lecunNormal,
  lecunUniform,
  torchDefault,
} as const;
