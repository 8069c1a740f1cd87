import { prim } from "../core";
import { floatVjp, unaryDef } from "./rules";

/** `neg(x)`: `-x` (int32 wraps at -2^31). d/dx = -1. */
export const neg = unaryDef(
  "neg",
  "neg",
  "numeric",
  floatVjp(({ ct }) => [prim("neg", [ct])]),
);
