import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Graph } from "../graph";
import { applyOp, rebuild, sameInputs } from "../graph";
import type { Attrs, Node } from "../node";
import type { OpTable } from "../op-def";
import { shapeEq } from "../shape";
import { splatValue } from "./fold";
import type { Pass } from "./pass";

/** True when `x` can stand for `n`: the same shape and dtype, so no user sees a type change. */
const sameType = (x: Node, n: Node): boolean => x.dtype === n.dtype && shapeEq(x.shape, n.shape);

/** True when `c` is a splat (possibly viewed through broadcasts/reshapes) of exactly `v`. */
const isSplatOf = (c: Node, v: number): boolean => splatValue(c) === v;

/** True when adding `c` leaves every value of `n`'s dtype unchanged, the sign of zero included. */
const isAddIdentity = (c: Node, n: Node): boolean =>
  n.dtype === "int32" ? splatValue(c) === 0 : Object.is(splatValue(c), -0);

const isIdentityPerm = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);

/**
 * The simpler node equal to `n` (whose inputs are already simplified), or undefined. Each
 * rule is exact: `x*0 -> 0` is absent on purpose (it is wrong for NaN and infinities).
 * For floats `x+0 -> x` only holds for the zero -0 (-0 + +0 is +0), so only `x + (-0)` and
 * integer `x + 0` are rewritten: the optimised graph stays bit-identical to the reference.
 */
const identity = (table: OpTable, n: Node): Node | undefined => {
  const [a, b] = n.inputs;
  const keep = (x: Node | undefined) => (x !== undefined && sameType(x, n) ? x : undefined);
  // Rebuilds `op(x)`; for shape-determined ops (reshape, broadcast) a no-op when `x` already has
  // the node's type. A transpose is not shape-determined: [2,1,2] permuted [2,1,0] keeps its
  // shape but moves data, so it only vanishes for the identity permutation.
  const remake = (op: string, x: Node, attrs: Attrs) => {
    if (op !== "transpose" && sameType(x, n)) return x;
    if (op === "transpose" && isIdentityPerm(attrs["perm"] as readonly number[])) return keep(x);
    const r = applyOp(table, op, [x], attrs);
    return E.isRight(r) && sameType(r.right, n) ? r.right : undefined;
  };
  switch (n.op) {
    case "mul":
      if (b !== undefined && isSplatOf(b, 1)) return keep(a);
      if (a !== undefined && isSplatOf(a, 1)) return keep(b);
      return undefined;
    case "add":
      if (b !== undefined && isAddIdentity(b, n)) return keep(a);
      if (a !== undefined && isAddIdentity(a, n)) return keep(b);
      return undefined;
    case "sub":
      return b !== undefined && isSplatOf(b, 0) ? keep(a) : undefined;
    case "div":
      return b !== undefined && isSplatOf(b, 1) ? keep(a) : undefined;
    case "neg":
      return a?.op === "neg" ? keep(a.inputs[0]) : undefined;
    case "cast":
      return a?.dtype === n.attrs["dtype"] ? keep(a) : undefined;
    case "select": {
      if (n.inputs.length !== 3) return undefined;
      const [c, x, y] = n.inputs as [Node, Node, Node];
      if (x === y) return keep(x);
      const cond = splatValue(c);
      if (cond !== undefined) return keep(cond !== 0 ? x : y);
      return maskThroughMaxPool(table, n);
    }
    case "reshape":
      if (a === undefined) return undefined;
      if (a.op === "reshape") return remake("reshape", a.inputs[0]!, n.attrs);
      return keep(a);
    case "broadcast":
      if (a === undefined) return undefined;
      if (a.op === "broadcast") return remake("broadcast", a.inputs[0]!, n.attrs);
      return keep(a);
    case "transpose": {
      const perm = n.attrs["perm"] as readonly number[];
      if (a === undefined) return undefined;
      if (isIdentityPerm(perm)) return keep(a);
      if (a.op !== "transpose") return undefined;
      // out[i] = a[perm[i]] = x[inner[perm[i]]]
      const inner = a.attrs["perm"] as readonly number[];
      const composed = perm.map((p) => inner[p]!);
      return remake("transpose", a.inputs[0]!, { perm: composed });
    }
    default:
      return undefined;
  }
};

/**
 * `select(y > 0, max_pool2d_grad(y, g), 0)` -> `max_pool2d_grad(y, select(max_pool2d(y) > 0, g, 0))`:
 * the mask of a ReLU before max pooling moves from y's shape onto the pooled gradient's,
 * a quarter of the elements for 2x2 pooling. Exact: the gradient only reaches elements that
 * are the maximum of a window, where y equals that window's pooled value (so both masks agree
 * on every term; elsewhere both sides are +0). The new max_pool2d(y) is the forward pass's,
 * merged by CSE. Beyond the saved work, y is then no longer read after the pooling gradient,
 * which may write over it (`overwrites`): the ReLU output and its gradient, the largest pair
 * of a CNN's training step, need not be live together.
 */
const maskThroughMaxPool = (table: OpTable, n: Node): Node | undefined => {
  const [c, grad, zero] = n.inputs as [Node, Node, Node];
  if (c.op !== "gt" || grad.op !== "max_pool2d_grad" || splatValue(zero) !== 0) return undefined;
  const [y, bound] = c.inputs as [Node, Node];
  const [x, g] = grad.inputs as [Node, Node];
  if (x !== y || splatValue(bound) !== 0 || !sameType(grad, n)) return undefined;
  const splat = (like: Node, dtype: Node["dtype"]) =>
    applyOp(table, "constant", [], { data: [0], shape: like.shape, dtype });
  const r = pipe(
    E.Do,
    E.bind("pooled", () => applyOp(table, "max_pool2d", [y], grad.attrs)),
    E.bind("bound0", ({ pooled }) => splat(pooled, bound.dtype)),
    E.bind("mask", ({ pooled, bound0 }) => applyOp(table, "gt", [pooled, bound0])),
    E.bind("zero0", () => splat(g, zero.dtype)),
    E.bind("masked", ({ mask, zero0 }) => applyOp(table, "select", [mask, g, zero0])),
    E.chain(({ masked }) => applyOp(table, "max_pool2d_grad", [y, masked], grad.attrs)),
  );
  return E.isRight(r) && sameType(r.right, n) ? r.right : undefined;
};

/**
 * Algebraic identities, by op name: `x*1`, `1*x`, `x+0`, `0+x`, `x-0`, `x/1`, `neg(neg(x))`,
 * casts to the same dtype, reshapes/broadcasts to the same shape and chains of them,
 * identity and composed transposes, `select(c, x, x)` and selects on a constant condition,
 * and a ReLU mask moved through a max-pooling gradient (`maskThroughMaxPool`).
 * "1" and "0" are splat constants (possibly broadcast) of the node's dtype; a rewrite never
 * changes a node's type.
 */
export const algebraicIdentities = (table: OpTable): Pass => ({
  name: "algebraic-identities",
  run: (g: Graph) =>
    rebuild(g, (n, inputs) => {
      const cur = sameInputs(inputs, n.inputs) ? E.right(n) : applyOp(table, n.op, inputs, n.attrs);
      if (E.isLeft(cur)) return cur;
      const r = identity(table, cur.right);
      return r === undefined ? cur : E.right(r);
    }),
});
