import { binaryDef, noGrad } from "./rules";

/** `shift_left(a, b)`: `a << b` on int32. Keep counts in 0..31: JS takes others mod 32, GLSL leaves them undefined. */
export const shiftLeft = binaryDef("shift_left", "shl", "int", noGrad);
