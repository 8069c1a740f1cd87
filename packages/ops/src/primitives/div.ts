import { prim } from "../core";
import { binaryDef, floatVjp } from "./rules";

/**
 * `div(a, b)`: `a / b`; int32 division truncates toward zero (as in C). d/da = 1/b,
 * d/db = -a/b^2 = -out/b, reusing the output.
 */
export const div = binaryDef(
  "div",
  "div",
  "numeric",
  floatVjp(({ ct, out, inputs: [, b] }) => [
    prim("div", [ct, b!]),
    prim("neg", [prim("div", [prim("mul", [ct, out]), b!])]),
  ]),
);
