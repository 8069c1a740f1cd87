import { binaryDef, noGrad } from "./rules";

/** `eq(a, b)`: a == b (any dtype, bool included), as bool. Piecewise constant, so no gradient. */
export const eq = binaryDef("eq", "eq", "any", noGrad, "bool");
