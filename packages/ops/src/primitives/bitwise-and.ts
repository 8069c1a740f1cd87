import { bitwiseDef } from "./rules";

/** `bitwise_and(a, b)`: bitwise on int32, logical on bool. */
export const bitwiseAnd = bitwiseDef("bitwise_and", "and", 2);
