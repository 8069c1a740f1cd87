import { unaryDef } from "./rules";

/** `cos(x)`. d/dx = -sin(x). */
export const cos = unaryDef("cos", "cos", "float", ({ prim, ct, inputs }) => [
  prim("neg", [prim("mul", [ct, prim("sin", inputs)])]),
]);
