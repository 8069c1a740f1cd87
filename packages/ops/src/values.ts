import * as E from "fp-ts/lib/Either.js";
import type { DType, LoomError } from "@loom/graph";
import { DTYPES, fail } from "@loom/graph";

/** A short, safe description of any value for an error message: `undefined`, `"abc"`, `1.5`, `object`. */
export const describeValue = (x: unknown): string =>
  typeof x === "string"
    ? JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}…` : x)
    : typeof x === "number" || typeof x === "boolean" || x === undefined || x === null
      ? String(x)
      : typeof x;

/** `dtype` when it is one of loom's dtypes, else a LoomError of `op` listing them. */
export const checkDType = (op: string, dtype: unknown): E.Either<LoomError, DType> =>
  DTYPES.includes(dtype as DType)
    ? E.right(dtype as DType)
    : fail(
        "invalid_argument",
        op,
        `unknown dtype ${describeValue(dtype)}; dtypes are ${DTYPES.join(", ")}`,
      );

const INT32_MIN = -(2 ** 31);
// Unsigned 32-bit words are int32 bit patterns (random bits, hashes): 0xdeadbeef is accepted
// and stored as its two's complement, as `| 0` would.
const UINT32_MAX = 2 ** 32 - 1;

/**
 * Checks values bound for a tensor of `dtype` before a typed array converts them silently: every
 * value a number, and for int32 an integer in [-2^31, 2^32-1] (an Int32Array would wrap 1e10
 * and truncate 1.5; unsigned words keep their bits). Typed arrays of the dtype's own class need no check.
 */
export const checkValues = (
  op: string,
  values: ArrayLike<unknown>,
  dtype: DType,
): E.Either<LoomError, ArrayLike<number>> => {
  if (ArrayBuffer.isView(values) && (dtype !== "int32" || values instanceof Int32Array))
    return E.right(values as unknown as ArrayLike<number>);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number")
      return fail(
        "invalid_argument",
        op,
        `value ${i} is ${describeValue(v)}, not a number; give numbers or a typed array`,
      );
    if (dtype === "int32" && !(Number.isInteger(v) && v >= INT32_MIN && v <= UINT32_MAX))
      return fail(
        "invalid_argument",
        op,
        `value ${i} is ${v}, not an int32 (an integer in [-2147483648, 2147483647], or an unsigned 32-bit word up to 4294967295); round it or use float32`,
      );
  }
  return E.right(values as ArrayLike<number>);
};
