import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Graph } from "../graph";
import { applyOp, rebuild, sameInputs } from "../graph";
import type { Attrs, Node } from "../node";
import type { OpTable, RewriteContext } from "../op-def";
import type { Pass } from "./pass";
import { sameType } from "./rewrite-helpers";

/** What a rewrite rule of `n`'s op sees: `n`, its attrs, and builders checked by `table`. */
const rewriteContext = (table: OpTable, n: Node): RewriteContext<Attrs> => ({
  node: n,
  attrs: n.attrs,
  apply: (op, inputs, attrs = {}) => applyOp(table, op, inputs, attrs),
  keep: (x) => (x !== undefined && sameType(x, n) ? x : undefined),
  remake: (x, attrs) =>
    pipe(
      applyOp(table, n.op, [x], attrs),
      E.match(
        () => undefined,
        (r) => (sameType(r, n) ? r : undefined),
      ),
    ),
});

/**
 * Algebraic identities, declared by each op in its own file (`OpDef.simplify`): `x*1`, `x+0`,
 * `x-0`, `x/1`, `neg(neg(x))`, casts to the same dtype, reshapes/broadcasts to the same shape
 * and chains of them, identity and composed transposes, `select(c, x, x)`, selects on a
 * constant condition, and a ReLU mask moved through a max-pooling gradient. Every rule is
 * exact (the optimised graph stays bit-identical to the reference) and never changes a
 * node's type.
 */
export const algebraicIdentities = (table: OpTable): Pass => ({
  name: "algebraic-identities",
  run: (g: Graph) =>
    rebuild(g, (n, inputs) =>
      pipe(
        sameInputs(inputs, n.inputs) ? E.right(n) : applyOp(table, n.op, inputs, n.attrs),
        E.map((cur) => table[cur.op]?.simplify?.(rewriteContext(table, cur)) ?? cur),
      ),
    ),
});
