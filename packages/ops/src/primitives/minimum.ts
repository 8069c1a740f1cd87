import { prim } from "../core";
import { binaryDef, floatVjp, zerosLike } from "./rules";

/**
 * `minimum(a, b)`; NaN if either is NaN. The gradient goes to `a` where a < b and to `b`
 * elsewhere (ties go to `b`, mirroring `maximum`).
 */
export const minimum = binaryDef(
  "minimum",
  "min",
  "numeric",
  floatVjp(({ ct, inputs: [a, b] }) => {
    const aWins = prim("lt", [a!, b!]);
    const zero = zerosLike(ct);
    return [prim("select", [aWins, ct, zero]), prim("select", [aWins, zero, ct])];
  }),
);
