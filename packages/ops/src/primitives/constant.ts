import * as E from "fp-ts/lib/Either.js";
import type { DType, SourceDef } from "@loom/graph";
import { DTYPES, fail, formatShape, isConcrete, numel } from "@loom/graph";

/** A constant's contents (row-major; one value is a splat) and type. */
export type ConstantAttrs = { data: number[]; shape: number[]; dtype: DType };

/** `constant`: a tensor whose values are part of the graph. */
export const constant: SourceDef<ConstantAttrs> = {
  name: "constant",
  fusion: "source",
  infer: (inputs, { data, shape, dtype }) => {
    if (inputs.length !== 0) return fail("invalid_argument", "constant", "takes no inputs");
    if (!DTYPES.includes(dtype))
      return fail("invalid_attr", "constant", `unknown dtype ${String(dtype)}`);
    if (
      !Array.isArray(shape) ||
      !isConcrete(shape) ||
      shape.some((d) => !Number.isInteger(d) || d < 0)
    ) {
      return fail(
        "invalid_attr",
        "constant",
        `shape must be concrete non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    if (!Array.isArray(data) || (data.length !== 1 && data.length !== numel(shape))) {
      return fail(
        "invalid_attr",
        "constant",
        `has ${Array.isArray(data) ? data.length : "no"} values for shape ${formatShape(shape)} (${numel(shape)} elements); give one value or one per element`,
        [shape],
      );
    }
    return E.right({ shape, dtype });
  },
  vjp: () => [],
};
