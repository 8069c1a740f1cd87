import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Dim, MovementDef } from "@loom/graph";
import {
  delinearize,
  fail,
  formatShape,
  linearize,
  LoomError,
  sizeEq,
  symbolicSize,
} from "@loom/graph";
import { checkShapeAttr } from "./input";
import { collapseChain } from "./rules";

/** The target shape, fully specified (the public `reshape` resolves -1). */
export type ReshapeAttrs = { shape: Dim[] };

/** `reshape(x)`: the same elements in row-major order under a new shape; a view. */
export const reshape: MovementDef<ReshapeAttrs> = {
  name: "reshape",
  fusion: "movement",
  // Row-major order is kept, so a library kernel reads the input's buffer with this shape.
  sameBytes: true,
  simplify: collapseChain("reshape"),
  infer: ([x], { shape }) => {
    if (x === undefined) return fail("invalid_argument", "reshape", "takes one input");
    return pipe(
      checkShapeAttr("reshape", shape),
      E.filterOrElse(
        () => sizeEq(symbolicSize(x.shape), symbolicSize(shape)),
        () =>
          new LoomError(
            "shape_mismatch",
            "reshape",
            `cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}: element counts differ`,
            [x.shape, shape],
          ),
      ),
      E.map(() => ({ shape, dtype: x.dtype })),
    );
  },
  gather: ({ idx, out, inputs, read }) =>
    read(0, delinearize(linearize(idx, out.shape), inputs[0]!.shape)),
  vjp: ({ prim, ct, inputs }) => [prim("reshape", [ct], { shape: [...inputs[0]!.shape] })],
};
