import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Dim, MovementDef } from "@loom/graph";
import { fail, formatShape, int, LoomError } from "@loom/graph";
import { checkShapeAttr } from "./input";
import { collapseChain } from "./rules";

/** The target shape; the input is right-aligned to it and its dims of size 1 stretch (NumPy's rule). */
export type BroadcastAttrs = { shape: Dim[] };

/** `broadcast(x)`: x stretched to `shape` without copying; a view. */
export const broadcast: MovementDef<BroadcastAttrs> = {
  name: "broadcast",
  fusion: "movement",
  simplify: collapseChain("broadcast"),
  infer: ([x], { shape }) => {
    if (x === undefined) return fail("invalid_argument", "broadcast", "takes one input");
    return pipe(
      checkShapeAttr("broadcast", shape),
      E.filterOrElse(
        () => {
          const lead = shape.length - x.shape.length;
          return lead >= 0 && x.shape.every((d, i) => d === 1 || d === shape[lead + i]);
        },
        () =>
          new LoomError(
            "shape_mismatch",
            "broadcast",
            `cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}: dims must be equal or 1, aligned on the right`,
            [x.shape, shape],
          ),
      ),
      E.map(() => ({ shape, dtype: x.dtype })),
    );
  },
  gather: ({ idx, out, inputs, read }) => {
    const x = inputs[0]!;
    const lead = out.shape.length - x.shape.length;
    return read(
      0,
      x.shape.map((d, i) => (d === 1 && out.shape[lead + i] !== 1 ? int(0) : idx[lead + i]!)),
    );
  },
  vjp: ({ prim, ct, inputs }) => {
    const x = inputs[0]!;
    const lead = ct.shape.length - x.shape.length;
    const axes = ct.shape
      .map((d, i) => i)
      .filter((i) => i < lead || (x.shape[i - lead] === 1 && ct.shape[i] !== 1));
    const summed = axes.length === 0 ? ct : prim("reduce_sum", [ct], { axes, keepdims: false });
    return [prim("reshape", [summed], { shape: [...x.shape] })];
  },
};
