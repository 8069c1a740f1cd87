import { binaryDef, noGrad } from "./rules";

/** `gt(a, b)`: a > b, as bool. Piecewise constant, so no gradient. */
export const gt = binaryDef("gt", "gt", "numeric", noGrad, "bool");
