import { prim } from "../core";
import { unaryDef } from "./rules";

/** `cos(x)`. d/dx = -sin(x). */
export const cos = unaryDef("cos", "cos", "float", ({ ct, inputs }) => [
  prim("neg", [prim("mul", [ct, prim("sin", inputs)])]),
]);
