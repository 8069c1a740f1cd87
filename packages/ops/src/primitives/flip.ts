import * as E from "fp-ts/lib/Either.js";
import type { MovementDef } from "@loom/graph";
import { alu, fail, formatShape, int } from "@loom/graph";

/** The axes to reverse (distinct, non-negative: the public `flip` normalises them). */
export type FlipAttrs = { axes: number[] };

/** `flip(x)`: the order of elements reversed along `axes`; a view reading `x[dim-1-i]`. */
export const flip: MovementDef<FlipAttrs> = {
  name: "flip",
  fusion: "movement",
  infer: (inputs, attrs) => {
    const { axes } = (attrs ?? {}) as Partial<FlipAttrs>;
    const [x] = inputs;
    if (inputs.length !== 1 || x === undefined) {
      return fail("invalid_argument", "flip", `takes one input, got ${inputs.length}`);
    }
    const rank = x.shape.length;
    const ok =
      Array.isArray(axes) &&
      axes.every((a) => Number.isInteger(a) && a >= 0 && a < rank) &&
      new Set(axes).size === axes.length;
    if (!ok) {
      return fail(
        "invalid_attr",
        "flip",
        `axes ${JSON.stringify(axes)} are not distinct axes of ${formatShape(x.shape)} (0..${rank - 1})`,
        [x.shape],
      );
    }
    return E.right({ shape: x.shape, dtype: x.dtype });
  },
  gather: ({ idx, attrs, inputs, read }) => {
    const x = inputs[0]!;
    return read(
      0,
      idx.map((i, a) =>
        attrs.axes.includes(a) ? alu("sub", [int(x.shape[a]! - 1), i], "int32") : i,
      ),
    );
  },
  vjp: ({ prim, ct, attrs }) => [prim("flip", [ct], { axes: [...attrs.axes] })],
};
