import { binaryDef, noGrad } from "./rules";

/** `ne(a, b)`: a != b (any dtype, bool included); true where either is NaN, as bool. Piecewise constant, so no gradient. */
export const ne = binaryDef("ne", "ne", "any", noGrad, "bool");
