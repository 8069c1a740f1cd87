import * as E from "fp-ts/lib/Either.js";
import type { LibraryDef } from "@loom/graph";
import type { AvgPool2dAttrs } from "./avg-pool2d";
import { avgPoolAttrs } from "./avg-pool2d";
import type { Pair } from "./window-attrs";
import {
  attrsObject,
  boolAttr,
  checkImageInputs,
  checkSpatial,
  intArrayAttr,
  poolShape,
} from "./window-attrs";

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
    const shapes = inputs.map((t) => t.shape);
    const attrs = attrsObject(op, rawAttrs);
    if (E.isLeft(attrs)) return attrs;
    const ok = checkImageInputs(op, inputs, ["dy"], ["NCHW"]);
    if (E.isLeft(ok)) return ok;
    const dy = inputs[0]!;
    const inc = boolAttr(op, attrs.right, "countIncludePad", shapes);
    if (E.isLeft(inc)) return inc;
    const hw = intArrayAttr<Pair>(op, attrs.right, "inputShape", 2, 1, shapes);
    if (E.isLeft(hw)) return hw;
    const p = poolShape(op, dy, attrs.right, shapes, hw.right);
    if (E.isLeft(p)) return p;
    const same = checkSpatial(op, "dy", dy.shape.slice(2), p.right.out, shapes);
    if (E.isLeft(same)) return same;
    return E.right({ shape: [dy.shape[0]!, dy.shape[1]!, ...hw.right], dtype: dy.dtype });
  },
  vjp: ({ prim, ct, attrs }) => [prim("avg_pool2d", [ct], avgPoolAttrs(attrs))],
};
