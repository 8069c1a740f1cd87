import type { LibraryDef } from "@loom/graph";
import type { Pad4, Pair } from "./window-attrs";
import { boolAttr, ceilModeAttr, poolInfer } from "./window-attrs";

/**
 * Window size, strides, paddings `[top, bottom, left, right]` (zeros, smaller than the kernel
 * on each side), whether padded positions count in the divisor (PyTorch's
 * `count_include_pad`; TensorFlow excludes them) and `ceilMode` as in max pooling.
 */
export type AvgPool2dAttrs = {
  kernel: Pair;
  stride: Pair;
  pad: Pad4;
  countIncludePad: boolean;
  ceilMode?: boolean;
};

/** Keeps only the pooling attributes, dropping a gradient op's `inputShape`. */
export const avgPoolAttrs = (a: AvgPool2dAttrs): AvgPool2dAttrs => ({
  kernel: [...a.kernel],
  stride: [...a.stride],
  pad: [...a.pad],
  countIncludePad: a.countIncludePad,
  ...ceilModeAttr(a),
});

/**
 * `avg_pool2d(x)`: the mean of each window of x `[N,C,H,W]` -> `[N,C,Ho,Wo]`; the divisor is
 * the window's size clipped to the padded input with countIncludePad (`KH*KW` unless ceilMode
 * lets the last window run past the padding, as in PyTorch), else the number of its in-bounds
 * elements. Linear:
 * its VJP is avg_pool2d_grad of the cotangent.
 */
export const avgPool2d: LibraryDef<AvgPool2dAttrs> = {
  name: "avg_pool2d",
  fusion: "library",
  libraryCall: (a) => ({ kind: "avg_pool2d", ...avgPoolAttrs(a) }),
  infer: poolInfer("avg_pool2d", (attrs, shapes) =>
    boolAttr("avg_pool2d", attrs, "countIncludePad", shapes),
  ),
  vjp: ({ prim, ct, inputs, attrs }) => {
    const x = inputs[0]!;
    const inputShape = [x.shape[2]!, x.shape[3]!];
    return [prim("avg_pool2d_grad", [ct], { ...avgPoolAttrs(attrs), inputShape })];
  },
};
