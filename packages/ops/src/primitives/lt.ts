import { binaryDef, noGrad } from "./rules";

/** `lt(a, b)`: a < b, as bool. Piecewise constant, so no gradient. */
export const lt = binaryDef("lt", "lt", "numeric", noGrad, "bool");
