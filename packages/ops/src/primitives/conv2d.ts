import * as E from "fp-ts/lib/Either.js";
import type { LibraryDef } from "@loom/graph";
import type { Pad4, Pair } from "./window-attrs";
import {
  attrsObject,
  checkGroups,
  checkImageInputs,
  concreteDims,
  convWindow,
  windowOutput,
} from "./window-attrs";

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
    const shapes = inputs.map((t) => t.shape);
    const attrs = attrsObject(op, rawAttrs);
    if (E.isLeft(attrs)) return attrs;
    const ok = checkImageInputs(op, inputs, ["x", "w"], ["NCHW", "OIHW"]);
    if (E.isLeft(ok)) return ok;
    const [x, w] = [inputs[0]!, inputs[1]!];
    const win = convWindow(op, attrs.right, shapes);
    if (E.isLeft(win)) return win;
    const xd = concreteDims(op, "x", x.shape, [1, 2, 3], shapes);
    if (E.isLeft(xd)) return xd;
    const wd = concreteDims(op, "w", w.shape, [0, 1, 2, 3], shapes);
    if (E.isLeft(wd)) return wd;
    const [c, h, wid] = xd.right as [number, number, number];
    const [o, i, kh, kw] = wd.right as [number, number, number, number];
    const { stride, pad, dilation, groups } = win.right;
    const g = checkGroups(op, c, o, i, groups, shapes);
    if (E.isLeft(g)) return g;
    const out = windowOutput(op, [h, wid], [kh, kw], stride, pad, dilation, shapes);
    if (E.isLeft(out)) return out;
    return E.right({ shape: [x.shape[0]!, o, ...out.right], dtype: x.dtype });
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
