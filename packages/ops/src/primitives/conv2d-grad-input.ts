import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LibraryDef } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { Conv2dAttrs } from "./conv2d";
import { convAttrs } from "./conv2d";
import type { Pair } from "./window-attrs";
import { concreteDims, convGradStart, convOutput } from "./window-attrs";

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
    const [dy, w] = [inputs[0]!, inputs[1]!];
    return pipe(
      convGradStart(op, inputs, rawAttrs, ["dy", "w"], ["NCHW", "OIHW"], "inputShape"),
      E.bind("dyd", ({ shapes }) => concreteDims(op, "dy", dy.shape, [1, 2, 3], shapes)),
      E.bind("wd", ({ shapes }) => concreteDims(op, "w", w.shape, [0, 1, 2, 3], shapes)),
      E.filterOrElse(
        ({ dyd, wd }) => dyd[0] === wd[0],
        ({ dyd, wd, shapes }) =>
          new LoomError(
            "shape_mismatch",
            op,
            `dy ${formatShape(dy.shape)} has ${dyd[0]} channels but the filter ${formatShape(w.shape)} has ${wd[0]} output channels`,
            shapes,
          ),
      ),
      E.chainFirst(({ win, size: hw, dyd, wd: [o, i, kh, kw], shapes }) => {
        const p = { c: i! * win.groups, o: o!, perGroup: i!, hw, k: [kh!, kw!] as Pair };
        return convOutput(op, p, win, shapes, dyd.slice(1));
      }),
      E.map(({ win, size: hw, wd }) => ({
        shape: [dy.shape[0]!, wd[1]! * win.groups, ...hw],
        dtype: dy.dtype,
      })),
    );
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
