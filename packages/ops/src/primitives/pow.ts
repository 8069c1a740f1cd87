import { binaryDef, full, zerosLike } from "./rules";

/**
 * `pow(a, b)`: `a ** b` (NaN for a negative base with a non-integer exponent).
 *
 * d/da = b a^(b-1), taken as 0 where b = 0 so that `a^0` has gradient 0 even at a = 0 (as in
 * JAX). d/db = log(a) a^b, taken as 0 where a <= 0: the exponent gradient is undefined there,
 * and a NaN would poison every gradient it is summed into. The log reads `select(a > 0, a, 1)`
 * so that differentiating this rule again stays finite too (the "double where" trick).
 */
export const pow = binaryDef("pow", "pow", "float", ({ prim, ct, out, inputs: [a, b] }) => {
  const one = full(prim, a!.shape, 1, a!.dtype);
  const zero = zerosLike(prim, a!);
  const dA = prim("select", [
    prim("eq", [b!, zero]),
    zero,
    prim("mul", [b!, prim("pow", [a!, prim("sub", [b!, one])])]),
  ]);
  const positive = prim("gt", [a!, zero]);
  const safeLog = prim("select", [
    positive,
    prim("log", [prim("select", [positive, a!, one])]),
    zero,
  ]);
  return [prim("mul", [ct, dA]), prim("mul", [ct, prim("mul", [safeLog, out])])];
});
