import { full, unaryDef } from "./rules";

/** `tanh(x)`. d/dx = 1 - tanh(x)^2, reusing the output. */
export const tanh = unaryDef("tanh", "tanh", "float", ({ prim, ct, out }) => [
  prim("mul", [ct, prim("sub", [full(prim, out.shape, 1, out.dtype), prim("mul", [out, out])])]),
]);
