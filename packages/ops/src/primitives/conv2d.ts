import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LibraryDef } from "@loom/graph";
import type { Pad4, Pair } from "./window-attrs";
import { concreteDims, convOutput, convWindow, imageOp } from "./window-attrs";

/**
 * A 2-D convolution (cross-correlation, as in every DL framework): strides, paddings
 * `[top, bottom, left, right]`, dilations and channel groups. Layouts are NCHW and OIHW.
 */
export type Conv2dAttrs = { stride: Pair; pad: Pad4; dilation: Pair; groups: number };

/** Keeps only the shared convolution attributes, so gradient ops get exactly their own keys. */
export const convAttrs = (a: Conv2dAttrs): Conv2dAttrs => ({
  stride: [...a.stride],
  pad: [...a.pad],
  dilation: [...a.dilation],
  groups: a.groups,
});

/**
 * `conv2d(x, w)`: x `[N,C,H,W]`, w `[O,C/groups,KH,KW]` -> `[N,O,Ho,Wo]` with
 * `Ho = floor((H + top + bottom - dh*(KH-1) - 1)/sh) + 1`. N may be symbolic; the other dims of
 * both operands must be concrete. Bilinear: each cotangent is the other gradient convolution.
 */
export const conv2d: LibraryDef<Conv2dAttrs> = {
  name: "conv2d",
  fusion: "library",
  libraryCall: (a) => ({ kind: "conv2d", ...convAttrs(a) }),
  infer: (inputs, rawAttrs) => {
    const op = "conv2d";
    const [x, w] = [inputs[0]!, inputs[1]!];
    return pipe(
      imageOp(op, inputs, rawAttrs, ["x", "w"], ["NCHW", "OIHW"]),
      E.bind("win", ({ attrs, shapes }) => convWindow(op, attrs, shapes)),
      E.bind("xd", ({ shapes }) => concreteDims(op, "x", x.shape, [1, 2, 3], shapes)),
      E.bind("wd", ({ shapes }) => concreteDims(op, "w", w.shape, [0, 1, 2, 3], shapes)),
      E.bind("out", ({ win, xd: [c, h, wid], wd: [o, i, kh, kw], shapes }) =>
        convOutput(op, { c: c!, o: o!, perGroup: i!, hw: [h!, wid!], k: [kh!, kw!] }, win, shapes),
      ),
      E.map(({ wd, out }) => ({ shape: [x.shape[0]!, wd[0]!, ...out], dtype: x.dtype })),
    );
  },
  vjp: ({ prim, ct, inputs, attrs }) => {
    const [x, w] = [inputs[0]!, inputs[1]!];
    const base = convAttrs(attrs);
    return [
      prim("conv2d_grad_input", [ct, w], { ...base, inputShape: [x.shape[2]!, x.shape[3]!] }),
      prim("conv2d_grad_filter", [x, ct], { ...base, filterShape: [w.shape[2]!, w.shape[3]!] }),
    ];
  },
};
