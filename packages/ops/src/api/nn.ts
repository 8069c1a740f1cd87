import type { Dim } from "@loom/graph";
import { broadcastShapes, formatShape, LoomError, showShapes } from "@loom/graph";
import type { Tensor } from "../core";
import { prim } from "../core";
import type { Pad4, Pair } from "../primitives/window-attrs";
import { add, broadcastTo } from "./elementwise";
import type { OptionKeys } from "./options";
import { checkOptions } from "./options";
import { checkTensor } from "../graph-operand";

/** The spatial output size of a convolution or pooling window (shared with the shape rules). */
export { convOutputSize } from "../primitives/window-attrs";

const reshapeTo = (x: Tensor, shape: readonly Dim[]): Tensor =>
  prim("reshape", [x], { shape: [...shape] });

/**
 * Matrix product with NumPy's `matmul` semantics: a 1-D left operand is a row vector and a 1-D
 * right operand a column vector (the added dim is removed from the result); leading batch dims
 * broadcast, and may be symbols such as "N".
 */
export const matmul = (a: Tensor, b: Tensor): Tensor => {
  checkTensor("matmul", a, "a");
  checkTensor("matmul", b, "b");
  const shapes = [a.shape, b.shape];
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new LoomError(
      "rank_mismatch",
      "matmul",
      `operands must have rank >= 1, got ${showShapes(shapes)}; multiply scalars with mul()`,
      shapes,
    );
  }
  const a2 = a.shape.length === 1 ? reshapeTo(a, [1, a.shape[0]!]) : a;
  const b2 = b.shape.length === 1 ? reshapeTo(b, [b.shape[0]!, 1]) : b;
  const k = a2.shape[a2.shape.length - 1]!;
  const kb = b2.shape[b2.shape.length - 2]!;
  if (k !== kb) {
    throw new LoomError(
      "shape_mismatch",
      "matmul",
      `inner dims differ: ${showShapes(shapes)} (${k} vs ${kb}); the last dim of a must equal the second-to-last of b: transpose one operand or fix the layer sizes`,
      shapes,
    );
  }
  const batchA = a2.shape.slice(0, -2);
  const batchB = b2.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  if (batch === undefined) {
    throw new LoomError(
      "shape_mismatch",
      "matmul",
      `batch dims ${formatShape(batchA)} and ${formatShape(batchB)} of ${showShapes(shapes)} do not broadcast: aligned on the right, each pair must be equal or contain a 1`,
      shapes,
    );
  }
  const m = a2.shape[a2.shape.length - 2]!;
  const n = b2.shape[b2.shape.length - 1]!;
  const out = prim("matmul", [
    broadcastTo(a2, [...batch, m, k]),
    broadcastTo(b2, [...batch, k, n]),
  ]);
  if (a.shape.length > 1 && b.shape.length > 1) return out;
  const keep = out.shape.filter(
    (_, i) =>
      !(a.shape.length === 1 && i === out.shape.length - 2) &&
      !(b.shape.length === 1 && i === out.shape.length - 1),
  );
  return reshapeTo(out, keep);
};

/** A size per spatial axis: one number for both, or `[h, w]`. */
export type Size2 = number | readonly [number, number];

/**
 * Padding of a 2-D window: one number for all sides, `[ph, pw]`, `[top, bottom, left, right]`,
 * `"valid"` (none) or `"same"` (TensorFlow's rule: output size `ceil(in/stride)`, the odd pixel
 * at the bottom/right; for stride 1 this is PyTorch's `padding="same"` too).
 */
export type Padding2 = Size2 | readonly [number, number, number, number] | "same" | "valid";

const pair = (op: string, name: string, v: unknown): Pair => {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0] as number, v[1] as number];
  throw new LoomError(
    "invalid_argument",
    op,
    `${name} must be a number or a pair [h, w], got ${JSON.stringify(v)}`,
  );
};

/** TensorFlow's "same" padding along one axis: output `ceil(in/stride)`, extra pixel last. */
const samePad = (inSize: number, effKernel: number, stride: number): [number, number] => {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effKernel - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
};

/**
 * Expands a padding option to `[top, bottom, left, right]`; `effKernel` is the dilated kernel
 * size, which "same" needs along with the input's concrete spatial dims.
 */
const resolvePadding = (
  op: string,
  padding: unknown,
  x: Tensor,
  effKernel: Pair,
  stride: Pair,
): Pad4 => {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    const [h, w] = [x.shape[2], x.shape[3]];
    if (x.shape.length !== 4 || typeof h !== "number" || typeof w !== "number") {
      throw new LoomError(
        "invalid_argument",
        op,
        `padding "same" needs an NCHW input with concrete spatial dims, got ${formatShape(x.shape)}`,
        [x.shape],
      );
    }
    return [...samePad(h, effKernel[0], stride[0]), ...samePad(w, effKernel[1], stride[1])];
  }
  if (typeof padding === "number") return [padding, padding, padding, padding];
  if (Array.isArray(padding) && padding.length === 2) {
    const [ph, pw] = padding as number[];
    return [ph!, ph!, pw!, pw!];
  }
  if (Array.isArray(padding) && padding.length === 4) return [...padding] as Pad4;
  throw new LoomError(
    "invalid_argument",
    op,
    `padding must be a number, [ph, pw], [top, bottom, left, right], "same" or "valid", got ${JSON.stringify(padding)}`,
  );
};

/** Options of conv2d; numbers apply to both spatial axes. */
export interface Conv2dOptions {
  readonly stride?: Size2;
  readonly padding?: Padding2;
  readonly dilation?: Size2;
  readonly groups?: number;
  /** A bias `[O]` added to every output position of its channel (torch's `bias`). */
  readonly bias?: Tensor;
}

/** The keys of {@link Conv2dOptions}. */
export const CONV2D_KEYS: OptionKeys<Conv2dOptions> = {
  stride: true,
  padding: true,
  dilation: true,
  groups: true,
  bias: true,
};

const addChannelBias = (y: Tensor, b: Tensor): Tensor => {
  const o = y.shape[1];
  if (b.shape.length !== 1 || b.shape[0] !== o) {
    throw new LoomError(
      "shape_mismatch",
      "conv2d",
      `bias must be [${String(o)}] (one value per output channel), got ${formatShape(b.shape)}`,
      [y.shape, b.shape],
    );
  }
  return add(y, reshapeTo(b, [o, 1, 1]));
};

/**
 * 2-D convolution of x `[N,C,H,W]` with w `[O,C/groups,KH,KW]` (PyTorch's layouts and
 * cross-correlation), giving `[N,O,Ho,Wo]`, plus `bias` `[O]` per channel when given
 * (torch.nn.functional.conv2d).
 */
export const conv2d = (x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor => {
  checkTensor("conv2d", x, "x");
  checkTensor("conv2d", w, "w");
  checkOptions("conv2d", opts, CONV2D_KEYS);
  const { stride = 1, padding = 0, dilation = 1, groups = 1, bias } = opts ?? {};
  const s = pair("conv2d", "stride", stride);
  const d = pair("conv2d", "dilation", dilation);
  const kh = w.shape[2];
  const kw = w.shape[3];
  const eff: Pair =
    typeof kh === "number" && typeof kw === "number"
      ? [d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1]
      : [1, 1];
  const pad = resolvePadding("conv2d", padding, x, eff, s);
  const y = prim("conv2d", [x, w], { stride: s, pad, dilation: d, groups });
  return bias === undefined ? y : addChannelBias(y, bias);
};

/** Options of the pooling functions; the stride defaults to the kernel (non-overlapping windows). */
export interface PoolOptions {
  readonly kernel: Size2;
  readonly stride?: Size2;
  readonly padding?: Padding2;
  /** PyTorch's `ceil_mode`: round the output size up (default false). */
  readonly ceilMode?: boolean;
}

/** The keys of {@link PoolOptions}. */
export const POOL_KEYS: OptionKeys<PoolOptions> = {
  kernel: true,
  stride: true,
  padding: true,
  ceilMode: true,
};

const poolAttrs = (op: string, x: Tensor, opts: PoolOptions) => {
  checkTensor(op, x, "x");
  if (typeof opts !== "object" || opts === null || opts.kernel === undefined) {
    throw new LoomError(
      "invalid_argument",
      op,
      "needs options with a kernel size, e.g. { kernel: 2 }",
      [x.shape],
    );
  }
  const kernel = pair(op, "kernel", opts.kernel);
  const stride = pair(op, "stride", opts.stride ?? opts.kernel);
  const pad = resolvePadding(op, opts.padding ?? 0, x, kernel, stride);
  return {
    kernel,
    stride,
    pad,
    ...(opts.ceilMode === undefined ? {} : { ceilMode: opts.ceilMode }),
  };
};

/** Max pooling of x `[N,C,H,W]`; padding counts as -infinity. */
export const maxPool2d = (x: Tensor, opts: PoolOptions): Tensor =>
  prim("max_pool2d", [x], poolAttrs("maxPool2d", x, checkOptions("maxPool2d", opts, POOL_KEYS)));

/** Options of avgPool2d: PyTorch's default counts padded zeros in the divisor. */
export interface AvgPoolOptions extends PoolOptions {
  readonly countIncludePad?: boolean;
}

/** The keys of {@link AvgPoolOptions}. */
export const AVG_POOL_KEYS: OptionKeys<AvgPoolOptions> = { ...POOL_KEYS, countIncludePad: true };

/** Average pooling of x `[N,C,H,W]`; padded positions are zeros. */
export const avgPool2d = (x: Tensor, opts: AvgPoolOptions): Tensor =>
  prim("avg_pool2d", [x], {
    ...poolAttrs("avgPool2d", x, checkOptions("avgPool2d", opts, AVG_POOL_KEYS)),
    countIncludePad: opts.countIncludePad ?? true,
  });
