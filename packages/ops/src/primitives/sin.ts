import { unaryDef } from "./rules";

/** `sin(x)`. d/dx = cos(x). */
export const sin = unaryDef("sin", "sin", "float", ({ prim, ct, inputs }) => [
  prim("mul", [ct, prim("cos", inputs)]),
]);
