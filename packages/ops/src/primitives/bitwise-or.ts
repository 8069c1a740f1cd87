import { bitwiseDef } from "./rules";

/** `bitwise_or(a, b)`: bitwise on int32, logical on bool. */
export const bitwiseOr = bitwiseDef("bitwise_or", "or", 2);
