import { binaryDef, noGrad } from "./rules";

/** `ge(a, b)`: a >= b, as bool. Piecewise constant, so no gradient. */
export const ge = binaryDef("ge", "ge", "numeric", noGrad, "bool");
