import { unaryDef } from "./rules";

/** `exp(x)`. d/dx exp(x) = exp(x), reused from the output. */
export const exp = unaryDef("exp", "exp", "float", ({ prim, ct, out }) => [prim("mul", [ct, out])]);
