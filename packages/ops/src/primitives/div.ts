import type { ElementwiseDef } from "@loom/graph";
import { isSplatOf } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { binaryDef, floatVjp } from "./rules";

/**
 * `div(a, b)`: `a / b`; int32 division truncates toward zero (as in C). d/da = 1/b,
 * d/db = -a/b^2 = -out/b, reusing the output.
 */
export const div: ElementwiseDef<NoAttrs> = {
  ...binaryDef(
    "div",
    "div",
    "numeric",
    floatVjp(({ prim, ct, out, inputs: [, b] }) => [
      prim("div", [ct, b!]),
      prim("neg", [prim("div", [prim("mul", [ct, out]), b!])]),
    ]),
  ),
  // x / 1 = x.
  simplify: ({
    node: {
      inputs: [a, b],
    },
    keep,
  }) => (isSplatOf(b, 1) ? keep(a) : undefined),
};
