import { binaryDef, extremumVjp } from "./rules";

/**
 * `minimum(a, b)`; NaN if either is NaN. The gradient goes to `a` where a < b and to `b`
 * elsewhere (ties go to `b`, mirroring `maximum`).
 */
export const minimum = binaryDef("minimum", "min", "numeric", extremumVjp("lt"));
