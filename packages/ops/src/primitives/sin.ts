import { prim } from "../core";
import { unaryDef } from "./rules";

/** `sin(x)`. d/dx = cos(x). */
export const sin = unaryDef("sin", "sin", "float", ({ ct, inputs }) => [
  prim("mul", [ct, prim("cos", inputs)]),
]);
