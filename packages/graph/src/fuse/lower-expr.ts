import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Expr } from "../expr";
import { linearize } from "../expr";
import { outputIndex, reduceIndex } from "../lower/unfused";
import type { Attrs, Node } from "../node";
import type { ElementwiseDef, MovementDef, ReduceDef } from "../op-def";
import type { ExprKernel } from "../plan";
import { constantData, isSplatConstant } from "../sources";
import { simplifyIndex } from "./index-simplify";
import type { LoweringContext } from "./lowering-context";

/** The definition of an op fusion can inline into a loop body. */
type InlinableDef = ElementwiseDef<Attrs> | MovementDef<Attrs> | ReduceDef<Attrs>;

type Sized = Node & { readonly shape: readonly number[] };

/**
 * The nodes of the kernel rooted at `root` that have no buffer (besides splats, which become
 * constants), each with its inlinable definition; a LoomError when one of them cannot be
 * inlined (a library op or a source without a buffer: a fusion bug, reported rather than thrown).
 */
const inlinedRegion = (
  ctx: LoweringContext,
  root: Node,
): E.Either<LoomError, ReadonlyMap<Node, InlinableDef>> => {
  const defs = new Map<Node, InlinableDef>();
  const visit = (n: Node, isRoot: boolean): E.Either<LoomError, null> => {
    if ((!isRoot && ctx.buffered.has(n)) || isSplatConstant(n) || defs.has(n)) return E.right(null);
    const d = ctx.table[n.op]!;
    if (d.fusion === "library" || d.fusion === "source")
      return fail("unsupported", root.op, `fusion: ${n.op} cannot be inlined`);
    defs.set(n, d);
    return pipe(
      E.traverseArray((i: Node) => visit(i, false))(n.inputs),
      E.map(() => null),
    );
  };
  return pipe(
    visit(root, true),
    E.map(() => defs),
  );
};

/**
 * The expression of `root` over the region's definitions: buffered nodes become loads (each
 * buffer one input slot), splats constants, elementwise ops their scalar rule, movement ops
 * index arithmetic, reductions loops over their body.
 */
const buildExpr = (ctx: LoweringContext, root: Node, defs: ReadonlyMap<Node, InlinableDef>) => {
  const inputs: number[] = [];
  const slot = (b: number) => {
    const k = inputs.indexOf(b);
    if (k >= 0) return k;
    inputs.push(b);
    return inputs.length - 1;
  };
  const nodes = new Set<number>([ctx.ids.get(root)!]);
  let nextVar = 0;
  const exprOf = (n: Node, idx: readonly Expr[], isRoot: boolean): Expr => {
    if (!isRoot && ctx.buffered.has(n)) {
      return {
        kind: "load",
        input: slot(ctx.bufOf.get(n)!),
        at: linearize(idx, n.shape as number[]),
        dtype: n.dtype,
      };
    }
    if (isSplatConstant(n)) return { kind: "const", value: constantData(n)[0]!, dtype: n.dtype };
    nodes.add(ctx.ids.get(n)!);
    const d = defs.get(n)!;
    const ins = n.inputs as Sized[];
    const me = n as Sized;
    switch (d.fusion) {
      case "elementwise":
        return d.scalar(
          ins.map((i) => exprOf(i, idx, false)),
          { attrs: n.attrs, out: me, inputs: ins, idx },
        );
      case "movement":
        return d.gather({
          attrs: n.attrs,
          out: me,
          inputs: ins,
          idx,
          read: (k, at) => exprOf(ins[k]!, at, false),
        });
      case "reduce": {
        const x = ins[0]!;
        const { vars, inIdx } = reduceIndex(d.reduction(n.attrs), x.shape, idx, () => nextVar++);
        return {
          kind: "reduce",
          op: d.reduceOp,
          vars,
          body: exprOf(x, inIdx, false),
          dtype: n.dtype,
        };
      }
    }
  };
  const shape = root.shape as readonly number[];
  const expr = exprOf(root, outputIndex(shape.length), true);
  return { inputs, nodes, expr: simplifyIndex(expr, { axes: shape, vars: new Map() }) };
};

/**
 * The expression kernel of `root`: everything it reads that has no buffer is inlined (chains
 * of elementwise ops into one loop, movement ops into index arithmetic, a reduction's prologue
 * into its loop body).
 */
export const lowerExprKernel = (
  ctx: LoweringContext,
  root: Node,
): E.Either<LoomError, ExprKernel> =>
  pipe(
    inlinedRegion(ctx, root),
    E.map((defs) => {
      const { inputs, nodes, expr } = buildExpr(ctx, root, defs);
      return {
        kind: "expr",
        out: ctx.bufOf.get(root)!,
        inputs,
        shape: root.shape as readonly number[],
        expr,
        nodes: [...nodes].sort((a, b) => a - b),
      };
    }),
  );
