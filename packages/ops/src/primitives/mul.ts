import { prim } from "../core";
import { binaryDef, floatVjp } from "./rules";

/** `mul(a, b)`: `a * b` (int32 wraps, as `Math.imul`). Bilinear: d/da = b, d/db = a. */
export const mul = binaryDef(
  "mul",
  "mul",
  "numeric",
  floatVjp(({ ct, inputs: [a, b] }) => [prim("mul", [ct, b!]), prim("mul", [a!, ct])]),
);
