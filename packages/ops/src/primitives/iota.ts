import * as E from "fp-ts/lib/Either.js";
import { arityFailure } from "./arity";
import type { DType, Dim, ElementwiseDef } from "@loom/graph";
import { alu, DTYPES, fail, formatShape, normAxis } from "@loom/graph";
import { checkShapeAttr } from "./input";

/** The result's shape and dtype, and the axis (negative counts from the end) whose index it holds. */
export type IotaAttrs = { shape: Dim[]; axis: number; dtype: DType };

/**
 * `iota()`: element i holds `i[axis]`, e.g. `[[0,1,2],[0,1,2]]` for shape [2,3], axis 1. An
 * elementwise op with no inputs, so it fuses into its consumers (one-hot, masks, random
 * counters) instead of filling a buffer. No inputs, so no gradient.
 */
export const iota: ElementwiseDef<IotaAttrs> = {
  name: "iota",
  fusion: "elementwise",
  infer: (inputs, attrs) => {
    const { shape, axis, dtype } = (attrs ?? {}) as Partial<Record<keyof IotaAttrs, unknown>>;
    const wrong = arityFailure("iota", inputs, 0);
    if (wrong) return wrong;
    const s = checkShapeAttr("iota", shape);
    if (E.isLeft(s)) return s;
    if (typeof axis !== "number" || normAxis(axis, s.right.length) < 0) {
      return fail(
        "invalid_attr",
        "iota",
        `axis must be an integer axis of shape ${formatShape(s.right)} (rank ${s.right.length}), got ${JSON.stringify(axis)}`,
        [s.right],
      );
    }
    if (typeof dtype !== "string" || !DTYPES.includes(dtype as DType) || dtype === "bool") {
      return fail(
        "invalid_attr",
        "iota",
        `dtype must be int32, float32 or float64, got ${JSON.stringify(dtype)}`,
        [s.right],
      );
    }
    return E.right({ shape: s.right, dtype: dtype as DType });
  },
  scalar: (_args, { attrs, idx }) => {
    const i = idx[normAxis(attrs.axis, idx.length)]!;
    return attrs.dtype === "int32" ? i : alu("cast", [i], attrs.dtype);
  },
  vjp: () => [],
};
