import { floatVjp, unaryDef } from "./rules";

/** `abs(x)`: `|x|`. d/dx = sign(x), so the gradient at 0 is 0 (as in PyTorch and JAX). */
export const abs = unaryDef(
  "abs",
  "abs",
  "numeric",
  floatVjp(({ prim, ct, inputs }) => [prim("mul", [ct, prim("sign", inputs)])]),
);
