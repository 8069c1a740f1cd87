import * as E from "fp-ts/lib/Either.js";
import type { Expr, MovementDef } from "@loom/graph";
import { fail, formatShape } from "@loom/graph";
import { prim } from "../core";

/** `perm[i]` is the input axis that becomes output axis `i` (a permutation of `0..rank-1`). */
export type TransposeAttrs = { perm: number[] };

/** True when `perm` is a permutation of `0..rank-1`; checks the attr's type too, so bad attrs never throw. */
export const isPermutation = (perm: unknown, rank: number): perm is number[] =>
  Array.isArray(perm) &&
  perm.length === rank &&
  perm.every((p) => Number.isInteger(p) && p >= 0 && p < rank) &&
  new Set(perm).size === rank;

/** The permutation that undoes `perm`: transposing by both gives the identity. */
export const inversePermutation = (perm: readonly number[]): number[] => {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
};

/** `transpose(x)`: axes permuted; a view (the gather reads through permuted indices). */
export const transpose: MovementDef<TransposeAttrs> = {
  name: "transpose",
  fusion: "movement",
  infer: (inputs, attrs) => {
    const { perm } = (attrs ?? {}) as Partial<TransposeAttrs>;
    const [x] = inputs;
    if (inputs.length !== 1 || x === undefined) {
      return fail("invalid_argument", "transpose", `takes one input, got ${inputs.length}`);
    }
    if (!isPermutation(perm, x.shape.length)) {
      return fail(
        "invalid_attr",
        "transpose",
        `perm ${JSON.stringify(perm)} is not a permutation of the ${x.shape.length} axes of ${formatShape(x.shape)}; give each of 0..${x.shape.length - 1} once`,
        [x.shape],
      );
    }
    return E.right({ shape: perm.map((p) => x.shape[p]!), dtype: x.dtype });
  },
  gather: ({ idx, attrs, read }) => {
    const at = new Array<Expr>(attrs.perm.length);
    attrs.perm.forEach((p, i) => (at[p] = idx[i]!));
    return read(0, at);
  },
  vjp: ({ ct, attrs }) => [prim("transpose", [ct], { perm: inversePermutation(attrs.perm) })],
};
