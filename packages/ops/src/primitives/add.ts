import { binaryDef } from "./rules";

/** `add(a, b)`: elementwise sum of equal-shaped inputs. d/da = d/db = 1. */
export const add = binaryDef("add", "add", "numeric", ({ ct }) => [ct, ct]);
