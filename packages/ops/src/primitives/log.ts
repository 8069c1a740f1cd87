import { unaryDef } from "./rules";

/** `log(x)`: the natural logarithm. d/dx = 1/x. */
export const log = unaryDef("log", "log", "float", ({ prim, ct, inputs }) => [
  prim("div", [ct, inputs[0]!]),
]);
