import { bitwiseDef } from "./rules";

/** `bitwise_not(x)`: `~x` on int32, logical not on bool. */
export const bitwiseNot = bitwiseDef("bitwise_not", "not", 1);
