import * as E from "fp-ts/lib/Either.js";
import type { LibraryDef } from "@loom/graph";
import { fail, formatShape } from "@loom/graph";
import type { Conv2dAttrs } from "./conv2d";
import { convAttrs } from "./conv2d";
import type { Pair } from "./window-attrs";
import {
  attrsObject,
  checkImageInputs,
  checkSpatial,
  concreteDims,
  convWindow,
  intArrayAttr,
  windowOutput,
} from "./window-attrs";

/** The forward convolution's attributes plus the filter's spatial size `[KH, KW]`, which the inputs do not determine. */
export type Conv2dGradFilterAttrs = Conv2dAttrs & { filterShape: Pair };

/**
 * `conv2d_grad_filter(x, dy)`: the gradient of conv2d with respect to its filter: x `[N,C,H,W]`,
 * dy `[N,O,Ho,Wo]` -> dw `[O,C/groups,KH,KW]` (summed over the batch). Bilinear in (x, dy):
 * `<ct, conv2d_grad_filter(x, dy)> = <conv2d(x, ct), dy>` gives its VJP.
 */
export const conv2dGradFilter: LibraryDef<Conv2dGradFilterAttrs> = {
  name: "conv2d_grad_filter",
  fusion: "library",
  libraryCall: (a) => ({ kind: "conv2d_grad_filter", ...convAttrs(a), filterShape: a.filterShape }),
  infer: (inputs, rawAttrs) => {
    const op = "conv2d_grad_filter";
    const shapes = inputs.map((t) => t.shape);
    const attrs = attrsObject(op, rawAttrs);
    if (E.isLeft(attrs)) return attrs;
    const ok = checkImageInputs(op, inputs, ["x", "dy"], ["NCHW", "NCHW"]);
    if (E.isLeft(ok)) return ok;
    const [x, dy] = [inputs[0]!, inputs[1]!];
    const win = convWindow(op, attrs.right, shapes);
    if (E.isLeft(win)) return win;
    const k = intArrayAttr<Pair>(op, attrs.right, "filterShape", 2, 1, shapes);
    if (E.isLeft(k)) return k;
    const xd = concreteDims(op, "x", x.shape, [1, 2, 3], shapes);
    if (E.isLeft(xd)) return xd;
    const dyd = concreteDims(op, "dy", dy.shape, [1, 2, 3], shapes);
    if (E.isLeft(dyd)) return dyd;
    if (x.shape[0] !== dy.shape[0]) {
      return fail(
        "shape_mismatch",
        op,
        `x ${formatShape(x.shape)} and dy ${formatShape(dy.shape)} must have the same batch size`,
        shapes,
      );
    }
    const [c, h, wid] = xd.right as [number, number, number];
    const o = dyd.right[0]!;
    const { stride, pad, dilation, groups } = win.right;
    if (c % groups !== 0 || o % groups !== 0) {
      return fail(
        "shape_mismatch",
        op,
        `groups=${groups} must divide both the input channels (${c}) and the output channels (${o})`,
        shapes,
      );
    }
    const fwd = windowOutput(op, [h, wid], k.right, stride, pad, dilation, shapes);
    if (E.isLeft(fwd)) return fwd;
    const sp = checkSpatial(op, "dy", dyd.right.slice(1), fwd.right, shapes);
    if (E.isLeft(sp)) return sp;
    return E.right({ shape: [o, c / groups, ...k.right], dtype: x.dtype });
  },
  vjp: ({ prim, ct, inputs, attrs }) => {
    const [x, dy] = [inputs[0]!, inputs[1]!];
    const base = convAttrs(attrs);
    return [
      prim("conv2d_grad_input", [dy, ct], { ...base, inputShape: [x.shape[2]!, x.shape[3]!] }),
      prim("conv2d", [x, ct], base),
    ];
  },
};
