import type { ElementwiseDef } from "@loom/graph";
import { isSplatOf } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { binaryDef, floatVjp } from "./rules";

/** `mul(a, b)`: `a * b` (int32 wraps, as `Math.imul`). Bilinear: d/da = b, d/db = a. */
export const mul: ElementwiseDef<NoAttrs> = {
  ...binaryDef(
    "mul",
    "mul",
    "numeric",
    floatVjp(({ prim, ct, inputs: [a, b] }) => [prim("mul", [ct, b!]), prim("mul", [a!, ct])]),
  ),
  // x*1 and 1*x; x*0 is absent on purpose (wrong for NaN and infinities).
  simplify: ({
    node: {
      inputs: [a, b],
    },
    keep,
  }) => (isSplatOf(b, 1) ? keep(a) : isSplatOf(a, 1) ? keep(b) : undefined),
};
