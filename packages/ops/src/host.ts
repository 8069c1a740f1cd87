import type { DType, HostTensor, Shape, TypedArray } from "@loom/graph";
import { allocTyped, formatShape, isConcrete, LoomError, numel, orThrow } from "@loom/graph";
import { checkDType, checkValues } from "./values";

/** Makes a host tensor (values on the host, in a typed array) from numbers or a typed array. */
export const hostTensor = (
  values: ArrayLike<number>,
  shape: Shape,
  dtype: DType = "float32",
): HostTensor => {
  orThrow(checkDType("hostTensor", dtype));
  if (!isConcrete(shape))
    throw new LoomError(
      "invalid_argument",
      "hostTensor",
      `shape ${formatShape(shape)} must be concrete`,
    );
  if (values.length !== numel(shape)) {
    throw new LoomError(
      "shape_mismatch",
      "hostTensor",
      `${values.length} values do not fill shape ${formatShape(shape)} (${numel(shape)} elements)`,
      [shape],
    );
  }
  const data: TypedArray = allocTyped(dtype, values.length);
  data.set(orThrow(checkValues("hostTensor", values, dtype)));
  return { data, shape: [...shape], dtype };
};

/** True for host tensors. */
export const isHostTensor = (x: unknown): x is HostTensor =>
  typeof x === "object" &&
  x !== null &&
  "data" in x &&
  "shape" in x &&
  "dtype" in x &&
  ArrayBuffer.isView((x as HostTensor).data);

/** The values of a host tensor as a plain array (for tests and printing). */
export const toArray = (t: HostTensor): number[] => Array.from(t.data);
