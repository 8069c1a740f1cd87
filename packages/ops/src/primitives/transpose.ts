import * as E from "fp-ts/lib/Either.js";
import type { Expr, MovementDef } from "@loom/graph";
import { fail, formatShape } from "@loom/graph";

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

const isIdentityPerm = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);

/** `transpose(x)`: axes permuted; a view (the gather reads through permuted indices). */
export const transpose: MovementDef<TransposeAttrs> = {
  name: "transpose",
  fusion: "movement",
  // The identity permutation, and two transposes as one: out[i] = a[perm[i]] = x[inner[perm[i]]].
  // A transpose is not shape-determined ([2,1,2] permuted [2,1,0] keeps its shape but moves
  // data), so it only vanishes for the identity permutation.
  simplify: ({
    node: {
      inputs: [a],
    },
    attrs: { perm },
    keep,
    remake,
  }) => {
    if (a === undefined) return undefined;
    if (isIdentityPerm(perm)) return keep(a);
    if (a.op !== "transpose") return undefined;
    const inner = (a.attrs as TransposeAttrs).perm;
    const composed = perm.map((p) => inner[p]!);
    const x = a.inputs[0]!;
    return isIdentityPerm(composed) ? keep(x) : remake(x, { perm: composed });
  },
  swapsLastTwo: ({ perm }) => {
    const r = perm.length;
    return (
      r >= 2 &&
      perm.every((p, i) => (i < r - 2 ? p === i : i === r - 2 ? p === r - 1 : p === r - 2))
    );
  },
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
  vjp: ({ prim, ct, attrs }) => [prim("transpose", [ct], { perm: inversePermutation(attrs.perm) })],
};
