import * as E from "fp-ts/lib/Either.js";
import type { Dim, Expr, MovementDef } from "@loom/graph";
import { alu, cnst, fail, formatShape, int } from "@loom/graph";

/**
 * Elements added before (`low`) and after (`high`) each axis, all filled with `value`.
 * Pads are non-negative: the public `slice` crops.
 */
export type PadAttrs = { low: number[]; high: number[]; value: number };

const isPadList = (a: unknown, rank: number): a is number[] =>
  Array.isArray(a) && a.length === rank && a.every((p) => Number.isInteger(p) && p >= 0);

/**
 * Clamps an index expression into `[0, size-1]`. Gathers that select between branches need
 * it: a backend may evaluate both branches, so the unselected read must stay in bounds.
 */
export const clampIndex = (i: Expr, size: number): Expr =>
  alu("max", [alu("min", [i, int(Math.max(size - 1, 0))], "int32"), int(0)], "int32");

/** The conjunction of bool expressions (`undefined` for none). */
export const allOf = (conds: readonly Expr[]): Expr | undefined =>
  conds.reduce<Expr | undefined>(
    (acc, c) => (acc === undefined ? c : alu("and", [acc, c], "bool")),
    undefined,
  );

/** `pad(x)`: x surrounded by `value`; a view whose gather is `inside(i) ? x[i - low] : value`. */
export const pad: MovementDef<PadAttrs> = {
  name: "pad",
  fusion: "movement",
  infer: (inputs, attrs) => {
    const { low, high, value } = (attrs ?? {}) as Partial<PadAttrs>;
    const [x] = inputs;
    if (inputs.length !== 1 || x === undefined) {
      return fail("invalid_argument", "pad", `takes one input, got ${inputs.length}`);
    }
    const rank = x.shape.length;
    if (!isPadList(low, rank) || !isPadList(high, rank)) {
      return fail(
        "invalid_attr",
        "pad",
        `low ${JSON.stringify(low)} and high ${JSON.stringify(high)} must each list ${rank} non-negative integers for ${formatShape(x.shape)}; crop with slice instead of negative pads`,
        [x.shape],
      );
    }
    const okValue =
      typeof value === "number" &&
      !Number.isNaN(value) &&
      (x.dtype !== "int32" || Number.isInteger(value)) &&
      (x.dtype !== "bool" || value === 0 || value === 1);
    if (!okValue) {
      return fail(
        "invalid_attr",
        "pad",
        `value ${JSON.stringify(value)} is not a ${x.dtype} value`,
        [x.shape],
      );
    }
    const shape: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const d = x.shape[i]!;
      if (typeof d === "number") shape.push(low[i]! + d + high[i]!);
      else if (low[i] === 0 && high[i] === 0) shape.push(d);
      else {
        return fail(
          "unsupported",
          "pad",
          `cannot pad axis ${i} of ${formatShape(x.shape)}: its size ${d} is symbolic; pad only concrete axes`,
          [x.shape],
        );
      }
    }
    return E.right({ shape, dtype: x.dtype });
  },
  gather: ({ idx, attrs, inputs, out, read }) => {
    const x = inputs[0]!;
    const conds: Expr[] = [];
    const at = (x.shape as readonly number[]).map((d, i) => {
      const lo = attrs.low[i]!;
      const hi = attrs.high[i]!;
      if (lo === 0 && hi === 0) return idx[i]!;
      if (lo > 0) conds.push(alu("ge", [idx[i]!, int(lo)], "bool"));
      if (hi > 0) conds.push(alu("lt", [idx[i]!, int(lo + d)], "bool"));
      return clampIndex(alu("sub", [idx[i]!, int(lo)], "int32"), d);
    });
    const inside = allOf(conds);
    const v = read(0, at);
    return inside === undefined
      ? v
      : alu("where", [inside, v, cnst(attrs.value, out.dtype)], out.dtype);
  },
  vjp: ({ prim, ct, inputs, attrs }) => {
    const x = inputs[0]!;
    return [
      prim("slice", [ct], {
        begin: [...attrs.low],
        end: x.shape.map((d, i) => (typeof d === "number" ? attrs.low[i]! + d : null)),
        step: x.shape.map(() => 1),
      }),
    ];
  },
};
