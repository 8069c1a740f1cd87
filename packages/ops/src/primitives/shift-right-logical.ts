import { binaryDef, noGrad } from "./rules";

/**
 * `shift_right_logical(a, b)`: `a >>> b` on int32, filling with zeros (the bits read as
 * unsigned), which random-bit extraction needs. Keep counts in 0..31: JS takes others mod 32,
 * GLSL leaves them undefined.
 */
export const shiftRightLogical = binaryDef("shift_right_logical", "shr", "int", noGrad);
