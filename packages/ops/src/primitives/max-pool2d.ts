import * as E from "fp-ts/lib/Either.js";
import type { LibraryDef } from "@loom/graph";
import type { Pad4, Pair } from "./window-attrs";
import { ceilModeAttr, poolInfer } from "./window-attrs";

/**
 * Window size, strides and paddings `[top, bottom, left, right]`. Padding counts as -infinity
 * and must be smaller than the kernel on each side (see `poolWindow`), so every window holds a
 * real element. `ceilMode` (absent: false) rounds the output size up, as PyTorch's
 * `ceil_mode` (see `convOutputSize`).
 */
export type MaxPool2dAttrs = { kernel: Pair; stride: Pair; pad: Pad4; ceilMode?: boolean };

/** Keeps only the pooling attributes, so the gradient op gets exactly its own keys. */
export const maxPoolAttrs = (a: MaxPool2dAttrs): MaxPool2dAttrs => ({
  kernel: [...a.kernel],
  stride: [...a.stride],
  pad: [...a.pad],
  ...ceilModeAttr(a),
});

/**
 * `max_pool2d(x)`: the maximum of each window of x `[N,C,H,W]` -> `[N,C,Ho,Wo]` with
 * `Ho = floor((H + top + bottom - KH)/sh) + 1` (ceil with ceilMode). Its VJP routes each window's cotangent to the
 * window's first maximal element (max_pool2d_grad).
 */
export const maxPool2d: LibraryDef<MaxPool2dAttrs> = {
  name: "max_pool2d",
  fusion: "library",
  libraryCall: (a) => ({ kind: "max_pool2d", ...maxPoolAttrs(a) }),
  infer: poolInfer("max_pool2d", () => E.right(null)),
  vjp: ({ prim, ct, inputs, attrs }) => [
    prim("max_pool2d_grad", [inputs[0]!, ct], maxPoolAttrs(attrs)),
  ],
};
