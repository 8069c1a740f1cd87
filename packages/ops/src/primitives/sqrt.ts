import { prim } from "../core";
import { full, unaryDef } from "./rules";

/** `sqrt(x)`. d/dx = 1/(2 sqrt(x)), reusing the output. */
export const sqrt = unaryDef("sqrt", "sqrt", "float", ({ ct, out }) => [
  prim("div", [ct, prim("mul", [full(out.shape, 2, out.dtype), out])]),
]);
