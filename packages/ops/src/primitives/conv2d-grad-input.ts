import * as E from "fp-ts/lib/Either.js";
import type { LibraryDef } from "@loom/graph";
import { fail, formatShape } from "@loom/graph";
import type { Conv2dAttrs } from "./conv2d";
import { convAttrs } from "./conv2d";
import type { Pair } from "./window-attrs";
import {
  attrsObject,
  checkGroups,
  checkImageInputs,
  checkSpatial,
  concreteDims,
  convWindow,
  intArrayAttr,
  windowOutput,
} from "./window-attrs";

/**
 * The forward convolution's attributes plus the spatial size `[H, W]` of its input: with a
 * stride above 1 several input sizes give the same output size, so the size must be stated.
 */
export type Conv2dGradInputAttrs = Conv2dAttrs & { inputShape: Pair };

/**
 * `conv2d_grad_input(dy, w)`: the gradient of conv2d with respect to its input (the transposed
 * convolution): dy `[N,O,Ho,Wo]`, w `[O,C/groups,KH,KW]` -> dx `[N,C,H,W]`. It is bilinear in
 * (dy, w), and the pairing `<ct, conv2d_grad_input(dy, w)> = <conv2d(ct, w), dy>` gives its VJP.
 */
export const conv2dGradInput: LibraryDef<Conv2dGradInputAttrs> = {
  name: "conv2d_grad_input",
  fusion: "library",
  libraryCall: (a) => ({ kind: "conv2d_grad_input", ...convAttrs(a), inputShape: a.inputShape }),
  infer: (inputs, rawAttrs) => {
    const op = "conv2d_grad_input";
    const shapes = inputs.map((t) => t.shape);
    const attrs = attrsObject(op, rawAttrs);
    if (E.isLeft(attrs)) return attrs;
    const ok = checkImageInputs(op, inputs, ["dy", "w"], ["NCHW", "OIHW"]);
    if (E.isLeft(ok)) return ok;
    const [dy, w] = [inputs[0]!, inputs[1]!];
    const win = convWindow(op, attrs.right, shapes);
    if (E.isLeft(win)) return win;
    const hw = intArrayAttr<Pair>(op, attrs.right, "inputShape", 2, 1, shapes);
    if (E.isLeft(hw)) return hw;
    const dyd = concreteDims(op, "dy", dy.shape, [1, 2, 3], shapes);
    if (E.isLeft(dyd)) return dyd;
    const wd = concreteDims(op, "w", w.shape, [0, 1, 2, 3], shapes);
    if (E.isLeft(wd)) return wd;
    const [o, i, kh, kw] = wd.right as [number, number, number, number];
    if (dyd.right[0] !== o) {
      return fail(
        "shape_mismatch",
        op,
        `dy ${formatShape(dy.shape)} has ${dyd.right[0]} channels but the filter ${formatShape(w.shape)} has ${o} output channels`,
        shapes,
      );
    }
    const { stride, pad, dilation, groups } = win.right;
    const g = checkGroups(op, i * groups, o, i, groups, shapes);
    if (E.isLeft(g)) return g;
    const fwd = windowOutput(op, hw.right, [kh, kw], stride, pad, dilation, shapes);
    if (E.isLeft(fwd)) return fwd;
    const sp = checkSpatial(op, "dy", dyd.right.slice(1), fwd.right, shapes);
    if (E.isLeft(sp)) return sp;
    return E.right({ shape: [dy.shape[0]!, i * groups, ...hw.right], dtype: dy.dtype });
  },
  vjp: ({ prim, ct, inputs, attrs }) => {
    const [dy, w] = [inputs[0]!, inputs[1]!];
    const base = convAttrs(attrs);
    return [
      prim("conv2d", [ct, w], base),
      prim("conv2d_grad_filter", [ct, dy], { ...base, filterShape: [w.shape[2]!, w.shape[3]!] }),
    ];
  },
};
