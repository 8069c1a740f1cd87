import * as E from "fp-ts/lib/Either.js";
import type { LibraryDef } from "@loom/graph";
import type { Pad4, Pair } from "./window-attrs";
import { attrsObject, boolAttr, checkImageInputs, poolShape } from "./window-attrs";

/**
 * Window size, strides, paddings `[top, bottom, left, right]` (zeros, smaller than the kernel
 * on each side) and whether padded positions count in the divisor (PyTorch's
 * `count_include_pad`; TensorFlow excludes them).
 */
export type AvgPool2dAttrs = { kernel: Pair; stride: Pair; pad: Pad4; countIncludePad: boolean };

/** Keeps only the pooling attributes, dropping a gradient op's `inputShape`. */
export const avgPoolAttrs = (a: AvgPool2dAttrs): AvgPool2dAttrs => ({
  kernel: [...a.kernel],
  stride: [...a.stride],
  pad: [...a.pad],
  countIncludePad: a.countIncludePad,
});

/**
 * `avg_pool2d(x)`: the mean of each window of x `[N,C,H,W]` -> `[N,C,Ho,Wo]`; the divisor is
 * `KH*KW` with countIncludePad, else the number of in-bounds elements of the window. Linear:
 * its VJP is avg_pool2d_grad of the cotangent.
 */
export const avgPool2d: LibraryDef<AvgPool2dAttrs> = {
  name: "avg_pool2d",
  fusion: "library",
  libraryCall: (a) => ({ kind: "avg_pool2d", ...avgPoolAttrs(a) }),
  infer: (inputs, rawAttrs) => {
    const op = "avg_pool2d";
    const shapes = inputs.map((t) => t.shape);
    const attrs = attrsObject(op, rawAttrs);
    if (E.isLeft(attrs)) return attrs;
    const ok = checkImageInputs(op, inputs, ["x"], ["NCHW"]);
    if (E.isLeft(ok)) return ok;
    const x = inputs[0]!;
    const inc = boolAttr(op, attrs.right, "countIncludePad", shapes);
    if (E.isLeft(inc)) return inc;
    const p = poolShape(op, x, attrs.right, shapes);
    if (E.isLeft(p)) return p;
    return E.right({ shape: [x.shape[0]!, x.shape[1]!, ...p.right.out], dtype: x.dtype });
  },
  vjp: ({ prim, ct, inputs, attrs }) => {
    const x = inputs[0]!;
    const inputShape = [x.shape[2]!, x.shape[3]!];
    return [prim("avg_pool2d_grad", [ct], { ...avgPoolAttrs(attrs), inputShape })];
  },
};
