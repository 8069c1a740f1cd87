import type { ReduceDef } from "@loom/graph";
import { keptShape, reduceBase, type ReduceAttrs } from "./reduce-sum";

export type { ReduceAttrs };

/**
 * `reduce_max(x)`: maximum over `axes`. Its VJP splits the cotangent equally among the
 * elements that attain the maximum (as JAX does), so ties keep the gradient's total.
 */
export const reduceMax: ReduceDef<ReduceAttrs> = {
  ...reduceBase("reduce_max", "max"),
  vjp: ({ prim, ct, inputs, out, attrs }) => {
    const x = inputs[0]!;
    const shape = keptShape(x, attrs.axes);
    const back = (t: typeof ct) =>
      prim("broadcast", [prim("reshape", [t], { shape })], { shape: [...x.shape] });
    const mask = prim("cast", [prim("eq", [x, back(out)])], { dtype: x.dtype });
    const count = prim("reduce_sum", [mask], { axes: attrs.axes, keepdims: attrs.keepdims });
    return [prim("mul", [mask, back(prim("div", [ct, count]))])];
  },
};
