import { unaryDef, zerosLike } from "./rules";

/** `floor(x)`. Piecewise constant: its gradient is a zero tensor (defined almost everywhere). */
export const floor = unaryDef("floor", "floor", "float", ({ prim, inputs }) => [
  zerosLike(prim, inputs[0]!),
]);
