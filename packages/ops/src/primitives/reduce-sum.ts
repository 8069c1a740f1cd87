import * as E from "fp-ts/lib/Either.js";
import type { Dim, InferRule, ReduceDef, TensorType } from "@loom/graph";
import { fail, formatShape, normAxis } from "@loom/graph";

/** Axes to reduce (negative counts from the end) and whether to keep them as size-1 dims. */
export type ReduceAttrs = { axes: number[]; keepdims: boolean };

/** The shape rule of both reductions. */
export const reduceInfer =
  (op: string): InferRule<ReduceAttrs> =>
  ([x], { axes, keepdims }) => {
    if (x === undefined) return fail("invalid_argument", op, "takes one input");
    const rank = x.shape.length;
    const norm = Array.isArray(axes) ? axes.map((a) => normAxis(a, rank)) : [-1];
    if (norm.some((a) => a < 0) || new Set(norm).size !== norm.length) {
      return fail(
        "invalid_attr",
        op,
        `axes ${JSON.stringify(axes)} are not distinct axes of a rank-${rank} tensor ${formatShape(x.shape)}`,
        [x.shape],
      );
    }
    if (x.dtype === "bool")
      return fail("dtype_mismatch", op, "cannot reduce bool; cast to int32 or float32 first", [
        x.shape,
      ]);
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!norm.includes(i)) shape.push(d);
      else if (keepdims) shape.push(1);
    });
    return E.right({ shape, dtype: x.dtype });
  };

/**
 * What both reductions share: their name, the fusion class, the combining op, the reduction
 * the fuser reads from the attributes, and the shape rule.
 */
export const reduceBase = <N extends string>(name: N, reduceOp: "sum" | "max") => ({
  name,
  fusion: "reduce" as const,
  reduceOp,
  reduction: ({ axes, keepdims }: ReduceAttrs) => ({ axes, keepdims }),
  infer: reduceInfer(name),
});

/** The shape with the reduced axes kept as 1: how a reduction's result broadcasts back. */
export const keptShape = (x: TensorType, axes: readonly number[]): Dim[] =>
  x.shape.map((d, i) => (axes.some((a) => normAxis(a, x.shape.length) === i) ? 1 : d));

/** `reduce_sum(x)`: sum over `axes`. Its VJP broadcasts the cotangent back over them. */
export const reduceSum: ReduceDef<ReduceAttrs> = {
  ...reduceBase("reduce_sum", "sum"),
  vjp: ({ prim, ct, inputs, attrs }) => {
    const x = inputs[0]!;
    const kept = prim("reshape", [ct], { shape: keptShape(x, attrs.axes) });
    return [prim("broadcast", [kept], { shape: [...x.shape] })];
  },
};
