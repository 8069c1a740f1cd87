import { binaryDef, noGrad } from "./rules";

/** `le(a, b)`: a <= b, as bool. Piecewise constant, so no gradient. */
export const le = binaryDef("le", "le", "numeric", noGrad, "bool");
