import type { ElementwiseDef } from "@loom/graph";
import { isSplatOf } from "@loom/graph";
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
  // x - 0 = x. `isSplatOf` compares with ===, so a -0 splat matches too, although
  // -0 - -0 is +0: kept as the identity pass always had it (results stay as before).
  simplify: ({
    node: {
      inputs: [a, b],
    },
    keep,
  }) => (isSplatOf(b, 0) ? keep(a) : undefined),
};
