import { prim } from "../core";
import { binaryDef, floatVjp } from "./rules";

/** `sub(a, b)`: `a - b` (int32 wraps). d/da = 1, d/db = -1. */
export const sub = binaryDef(
  "sub",
  "sub",
  "numeric",
  floatVjp(({ ct }) => [ct, prim("neg", [ct])]),
);
