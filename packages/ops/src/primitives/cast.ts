import * as E from "fp-ts/lib/Either.js";
import { arityFailure } from "./arity";
import type { DType, ElementwiseDef } from "@loom/graph";
import { alu, DTYPES, fail, isFloat } from "@loom/graph";

/** The target dtype. */
export type CastAttrs = { dtype: DType };

/**
 * `cast(x)`: converts to `dtype`. Float to int32 truncates toward zero (NaN and infinities give
 * 0), anything to bool is `x != 0`. Only float-to-float casts pass a gradient (cast back to the
 * input's dtype); integers and bools carry none.
 */
export const cast: ElementwiseDef<CastAttrs> = {
  name: "cast",
  fusion: "elementwise",
  // A cast to the dtype it already has.
  simplify: ({
    node: {
      inputs: [a],
    },
    attrs,
    keep,
  }) => (a?.dtype === attrs.dtype ? keep(a) : undefined),
  infer: (inputs, attrs) => {
    const dtype: unknown = attrs?.dtype;
    const wrong = arityFailure("cast", inputs, 1);
    if (wrong) return wrong;
    if (typeof dtype !== "string" || !DTYPES.includes(dtype as DType)) {
      return fail(
        "invalid_attr",
        "cast",
        `dtype must be one of ${DTYPES.join(", ")}, got ${JSON.stringify(dtype)}`,
      );
    }
    return E.right({ shape: inputs[0]!.shape, dtype: dtype as DType });
  },
  scalar: ([x], { attrs }) => alu("cast", [x!], attrs.dtype),
  vjp: ({ prim, ct, inputs: [x], out }) => {
    if (!isFloat(x!.dtype) || !isFloat(out.dtype)) return [undefined];
    return [x!.dtype === ct.dtype ? ct : prim("cast", [ct], { dtype: x!.dtype })];
  },
};
