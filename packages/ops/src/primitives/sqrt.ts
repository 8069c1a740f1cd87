import { full, unaryDef } from "./rules";

/** `sqrt(x)`. d/dx = 1/(2 sqrt(x)), reusing the output. */
export const sqrt = unaryDef("sqrt", "sqrt", "float", ({ prim, ct, out }) => [
  prim("div", [ct, prim("mul", [full(prim, out.shape, 2, out.dtype), out])]),
]);
