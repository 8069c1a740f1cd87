import * as E from "fp-ts/lib/Either.js";
import type { Dim, Expr, MovementDef } from "@loom/graph";
import { alu, fail, formatType, int, showShapes } from "@loom/graph";
import { clampIndex } from "./pad";

/** The axis to join along (non-negative: the public `concat` normalises it). */
export type ConcatAttrs = { axis: number };

/** `concat(xs)`: inputs joined along `axis`; a view that picks its source by the index along the axis. */
export const concat: MovementDef<ConcatAttrs> = {
  name: "concat",
  fusion: "movement",
  infer: (inputs, attrs) => {
    const { axis } = (attrs ?? {}) as Partial<ConcatAttrs>;
    const shapes = inputs.map((t) => t.shape);
    const [first] = inputs;
    if (first === undefined) return fail("invalid_argument", "concat", "needs at least one input");
    const rank = first.shape.length;
    if (typeof axis !== "number" || !Number.isInteger(axis) || axis < 0 || axis >= rank) {
      return fail(
        "invalid_attr",
        "concat",
        `axis ${JSON.stringify(axis)} is not an axis of rank-${rank} inputs ${showShapes(shapes, ", ")}`,
        shapes,
      );
    }
    for (const t of inputs) {
      if (t.dtype !== first.dtype) {
        return fail(
          "dtype_mismatch",
          "concat",
          `inputs must have one dtype, got ${inputs.map(formatType).join(", ")}; cast them first`,
          shapes,
        );
      }
      if (t.shape.length !== rank) {
        return fail(
          "rank_mismatch",
          "concat",
          `inputs must have one rank, got ${showShapes(shapes, ", ")}`,
          shapes,
        );
      }
      if (t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        return fail(
          "shape_mismatch",
          "concat",
          `inputs ${showShapes(shapes, ", ")} must agree on every dim but axis ${axis}`,
          shapes,
        );
      }
    }
    const sizes = inputs.map((t) => t.shape[axis]!);
    let joined: Dim;
    if (inputs.length === 1) joined = sizes[0]!;
    else if (sizes.every((d): d is number => typeof d === "number"))
      joined = sizes.reduce((p, d) => p + d, 0);
    else {
      return fail(
        "unsupported",
        "concat",
        `cannot join ${showShapes(shapes, ", ")} along axis ${axis}: a symbolic size there has no known sum; concatenate along a concrete axis`,
        shapes,
      );
    }
    const shape = [...first.shape];
    shape[axis] = joined;
    return E.right({ shape, dtype: first.dtype });
  },
  gather: ({ idx, attrs, inputs, read }) => {
    const a = attrs.axis;
    const at = (k: number, offset: number): Expr => {
      const local = clampIndex(alu("sub", [idx[a]!, int(offset)], "int32"), inputs[k]!.shape[a]!);
      return read(
        k,
        idx.map((i, j) => (j === a ? local : i)),
      );
    };
    // Innermost first: the last non-empty input, then each earlier one guarded by `i < its end`.
    const parts: { k: number; offset: number; end: number }[] = [];
    let offset = 0;
    inputs.forEach((t, k) => {
      const d = t.shape[a]!;
      if (d > 0) parts.push({ k, offset, end: offset + d });
      offset += d;
    });
    const last = parts[parts.length - 1];
    if (last === undefined) return read(0, idx);
    let e = at(last.k, last.offset);
    for (let p = parts.length - 2; p >= 0; p--) {
      const { k, offset: o, end } = parts[p]!;
      e = alu("where", [alu("lt", [idx[a]!, int(end)], "bool"), at(k, o), e], e.dtype);
    }
    return e;
  },
  vjp: ({ prim, ct, inputs, attrs }) => {
    if (inputs.length === 1) return [ct];
    let offset = 0;
    return inputs.map((t) => {
      const d = t.shape[attrs.axis] as number;
      const begin = t.shape.map((_, i) => (i === attrs.axis ? offset : 0));
      const end = t.shape.map((_, i) => (i === attrs.axis ? offset + d : null));
      offset += d;
      return prim("slice", [ct], { begin, end, step: t.shape.map(() => 1) });
    });
  },
};
