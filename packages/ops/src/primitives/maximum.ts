import { binaryDef, extremumVjp } from "./rules";

/**
 * `maximum(a, b)`; NaN if either is NaN. The gradient goes to `a` where a > b and to `b`
 * elsewhere, so `relu = maximum(x, 0)` has gradient 0 at 0, as in PyTorch.
 */
export const maximum = binaryDef("maximum", "max", "numeric", extremumVjp("gt"));
