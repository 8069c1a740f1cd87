import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LibraryDef } from "@loom/graph";
import type { AvgPool2dAttrs } from "./avg-pool2d";
import { avgPoolAttrs } from "./avg-pool2d";
import type { Pair } from "./window-attrs";
import { boolAttr, imageOp, intArrayAttr, poolShape } from "./window-attrs";

/**
 * The forward average pooling's attributes plus its input's spatial size `[H, W]`, which the
 * cotangent does not determine when the stride exceeds 1.
 */
export type AvgPool2dGradAttrs = AvgPool2dAttrs & { inputShape: Pair };

/**
 * `avg_pool2d_grad(dy)`: the gradient of avg_pool2d: dy `[N,C,Ho,Wo]` -> dx `[N,C,H,W]`, each
 * window's cotangent spread evenly (by the forward divisor) over its in-bounds elements. It is
 * the adjoint of avg_pool2d, so its own VJP is avg_pool2d of the cotangent.
 */
export const avgPool2dGrad: LibraryDef<AvgPool2dGradAttrs> = {
  name: "avg_pool2d_grad",
  fusion: "library",
  libraryCall: (a) => ({ kind: "avg_pool2d_grad", ...avgPoolAttrs(a), inputShape: a.inputShape }),
  infer: (inputs, rawAttrs) => {
    const op = "avg_pool2d_grad";
    const dy = inputs[0]!;
    return pipe(
      imageOp(op, inputs, rawAttrs, ["dy"], ["NCHW"]),
      E.chainFirst(({ attrs, shapes }) => boolAttr(op, attrs, "countIncludePad", shapes)),
      E.chain(({ attrs, shapes }) =>
        pipe(
          intArrayAttr<Pair>(op, attrs, "inputShape", 2, 1, shapes),
          E.chain((hw) => poolShape(op, dy, attrs, shapes, hw, dy)),
        ),
      ),
      E.map(({ hw }) => ({ shape: [dy.shape[0]!, dy.shape[1]!, ...hw], dtype: dy.dtype })),
    );
  },
  vjp: ({ prim, ct, attrs }) => [prim("avg_pool2d", [ct], avgPoolAttrs(attrs))],
};
