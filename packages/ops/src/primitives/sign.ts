import { floatVjp, unaryDef, zerosLike } from "./rules";

/**
 * `sign(x)`: -1, 0 or 1. Piecewise constant, so its gradient is a zero tensor rather than
 * none: a float input stays differentiable, its derivative is just 0.
 */
export const sign = unaryDef(
  "sign",
  "sign",
  "numeric",
  floatVjp(({ prim, inputs }) => [zerosLike(prim, inputs[0]!)]),
);
