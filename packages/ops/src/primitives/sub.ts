import type { ElementwiseDef } from "@loom/graph";
import { isAddIdentity, isSplatOf } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { binaryDef, floatVjp } from "./rules";

/** `sub(a, b)`: `a - b` (int32 wraps). d/da = 1, d/db = -1. */
export const sub: ElementwiseDef<NoAttrs> = {
  ...binaryDef(
    "sub",
    "sub",
    "numeric",
    floatVjp(({ prim, ct }) => [ct, prim("neg", [ct])]),
  ),
  // x - 0 = x, exact only for +0 on floats (-0 - -0 is +0, so x - (-0) is not x at x = -0);
  // on int32 every zero is the identity.
  simplify: ({
    node: {
      inputs: [a, b],
    },
    keep,
  }) =>
    a !== undefined && isSplatOf(b, 0) && (a.dtype === "int32" || !isAddIdentity(b, a))
      ? keep(a)
      : undefined,
};
