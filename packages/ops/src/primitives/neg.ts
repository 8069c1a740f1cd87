import type { ElementwiseDef } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { floatVjp, unaryDef } from "./rules";

/** `neg(x)`: `-x` (int32 wraps at -2^31). d/dx = -1. */
export const neg: ElementwiseDef<NoAttrs> = {
  ...unaryDef(
    "neg",
    "neg",
    "numeric",
    floatVjp(({ prim, ct }) => [prim("neg", [ct])]),
  ),
  // neg(neg(x)) = x, exactly (also for int32's -2^31).
  simplify: ({
    node: {
      inputs: [a],
    },
    keep,
  }) => (a?.op === "neg" ? keep(a.inputs[0]) : undefined),
};
