import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LibraryDef } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { Conv2dAttrs } from "./conv2d";
import { convAttrs } from "./conv2d";
import type { Pair } from "./window-attrs";
import { concreteDims, convGradStart, convOutput } from "./window-attrs";

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
    const [x, dy] = [inputs[0]!, inputs[1]!];
    return pipe(
      convGradStart(op, inputs, rawAttrs, ["x", "dy"], ["NCHW", "NCHW"], "filterShape"),
      E.bind("xd", ({ shapes }) => concreteDims(op, "x", x.shape, [1, 2, 3], shapes)),
      E.bind("dyd", ({ shapes }) => concreteDims(op, "dy", dy.shape, [1, 2, 3], shapes)),
      E.filterOrElse(
        () => x.shape[0] === dy.shape[0],
        () =>
          new LoomError(
            "shape_mismatch",
            op,
            `x ${formatShape(x.shape)} and dy ${formatShape(dy.shape)} must have the same batch size`,
            inputs.map((t) => t.shape),
          ),
      ),
      // Only the group divisibility is a constraint here: the filter's per-group channels
      // are this op's output, so it states them as C/groups.
      E.chainFirst(({ win, size: k, xd: [c, h, wid], dyd, shapes }) => {
        const p = { c: c!, o: dyd[0]!, perGroup: c! / win.groups, hw: [h!, wid!] as Pair, k };
        return convOutput(op, p, win, shapes, dyd.slice(1));
      }),
      E.map(({ win, size: k, xd, dyd }) => ({
        shape: [dyd[0]!, xd[0]! / win.groups, ...k],
        dtype: x.dtype,
      })),
    );
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
