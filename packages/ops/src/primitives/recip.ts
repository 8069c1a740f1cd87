import { unaryDef } from "./rules";

/** `recip(x)`: `1/x`. d/dx = -1/x^2 = -out^2, reusing the output. */
export const recip = unaryDef("recip", "recip", "float", ({ prim, ct, out }) => [
  prim("neg", [prim("mul", [ct, prim("mul", [out, out])])]),
]);
