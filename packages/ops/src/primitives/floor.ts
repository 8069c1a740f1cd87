import { unaryDef, zerosLike } from "./rules";

/** `floor(x)`. Piecewise constant: its gradient is a zero tensor (defined almost everywhere). */
export const floor = unaryDef("floor", "floor", "float", ({ inputs }) => [zerosLike(inputs[0]!)]);
