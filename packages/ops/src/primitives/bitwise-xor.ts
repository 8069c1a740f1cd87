import { bitwiseDef } from "./rules";

/** `bitwise_xor(a, b)`: bitwise on int32, logical on bool. */
export const bitwiseXor = bitwiseDef("bitwise_xor", "xor", 2);
