import { binaryDef, floatVjp } from "./rules";

/**
 * `mod(a, b)`: the remainder with the dividend's sign (C's `fmod`, JS's `%`), so
 * `a mod b = a - trunc(a/b) b`; int32 `mod 0` gives 0. d/da = 1, d/db = -trunc(a/b), with
 * trunc(q) = sign(q) floor(|q|).
 */
export const mod = binaryDef(
  "mod",
  "mod",
  "numeric",
  floatVjp(({ prim, ct, inputs: [a, b] }) => {
    const q = prim("div", [a!, b!]);
    const trunc = prim("mul", [prim("sign", [q]), prim("floor", [prim("abs", [q])])]);
    return [ct, prim("neg", [prim("mul", [ct, trunc])])];
  }),
);
