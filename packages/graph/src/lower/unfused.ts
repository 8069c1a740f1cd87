import * as E from "fp-ts/lib/Either.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Expr } from "../expr";
import { linearize } from "../expr";
import type { Graph } from "../graph";
import { numberNodes, topoOrder } from "../graph";
import type { Node } from "../node";
import type { OpDef, OpTable, Reduction } from "../op-def";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { formatShape, isConcrete } from "../shape";
import { constantData, isConstantNode, isInputNode } from "../sources";
import { ownValue } from "../own";

/** The output multi-index of a kernel of the given rank. */
export const outputIndex = (rank: number): Expr[] =>
  Array.from({ length: rank }, (_, axis) => ({ kind: "index", axis, dtype: "int32" }) as const);

/** A load of input `k` (of concrete shape `shape`) at a multi-index. */
export const loadAt = (k: number, idx: readonly Expr[], node: Node): Expr => ({
  kind: "load",
  input: k,
  at: linearize(idx, node.shape as number[]),
  dtype: node.dtype,
});

/**
 * How a reduction reads its input: one loop variable (ids from `newVar`) per reduced axis, the
 * output index for the others (skipping kept size-1 axes).
 */
export const reduceIndex = (
  reduction: Reduction,
  inShape: readonly number[],
  idx: readonly Expr[],
  newVar: () => number,
): { vars: { id: number; extent: number }[]; inIdx: Expr[] } => {
  const axes = reduction.axes.map((a) => (a < 0 ? a + inShape.length : a));
  const keep = reduction.keepdims;
  const vars: { id: number; extent: number }[] = [];
  let o = 0;
  const inIdx = inShape.map((extent, axis): Expr => {
    if (axes.includes(axis)) {
      if (keep) o++;
      const id = newVar();
      vars.push({ id, extent });
      return { kind: "var", id, dtype: "int32" };
    }
    return idx[o++]!;
  });
  return { vars, inIdx };
};

/**
 * The scalar expression of one node as a kernel of its own, reading its inputs as `load k`.
 * Shared by the unfused lowering and the fusion pass (which substitutes loads by producers).
 */
export const nodeExpr = (def: OpDef, n: Node): Expr | undefined => {
  const idx = outputIndex(n.shape.length);
  const out = n as Node & { shape: readonly number[] };
  const inputs = n.inputs as (Node & { shape: readonly number[] })[];
  switch (def.fusion) {
    case "elementwise":
      return def.scalar(
        inputs.map((inp, k) => loadAt(k, idx, inp)),
        { attrs: n.attrs, out, inputs, idx },
      );
    case "movement":
      return def.gather({
        attrs: n.attrs,
        out,
        inputs,
        idx,
        read: (k, at) => loadAt(k, at, inputs[k]!),
      });
    case "reduce": {
      const x = inputs[0]!;
      let next = 0;
      const { vars, inIdx } = reduceIndex(def.reduction(n.attrs), x.shape, idx, () => next++);
      return { kind: "reduce", op: def.reduceOp, vars, body: loadAt(0, inIdx, x), dtype: n.dtype };
    }
    default:
      return undefined;
  }
};

/**
 * Lowers a graph with concrete shapes to a plan with one kernel per non-source node: the
 * reference lowering that the optimising pipeline is tested against.
 */
export const lowerUnfused = (table: OpTable, g: Graph): E.Either<LoomError, Plan> => {
  const order = topoOrder(g);
  const ids = numberNodes(order);
  const bufOf = new Map<Node, number>();
  const buffers: BufferInfo[] = [];
  const kernels: Kernel[] = [];
  for (const n of order) {
    if (!isConcrete(n.shape)) {
      return fail(
        "unsupported",
        n.op,
        `shape ${formatShape(n.shape)} still has symbolic dims; compile with concrete input shapes (inferShapes with bindings)`,
        [n.shape],
      );
    }
    const def = ownValue(table, n.op);
    if (def === undefined) return fail("unknown_op", n.op, "op is not in the op table");
    const id = buffers.length;
    bufOf.set(n, id);
    const shape = n.shape;
    if (isInputNode(n)) {
      buffers.push({ id, shape, dtype: n.dtype, kind: "input" });
      continue;
    }
    if (isConstantNode(n)) {
      buffers.push({ id, shape, dtype: n.dtype, kind: "constant", data: constantData(n) });
      continue;
    }
    buffers.push({ id, shape, dtype: n.dtype, kind: "temp" });
    const inputs = n.inputs.map((i) => bufOf.get(i)!);
    const nodes = [ids.get(n)!];
    const expr = nodeExpr(def, n);
    if (def.fusion === "library") {
      kernels.push({
        kind: "library",
        call: def.libraryCall(n.attrs),
        out: id,
        inputs,
        shape,
        ...(def.overwrites !== undefined ? { overwrites: def.overwrites } : {}),
        nodes,
      });
    } else if (expr !== undefined)
      kernels.push({ kind: "expr", out: id, inputs, shape, expr, nodes });
    else return fail("unsupported", n.op, "a source op cannot be lowered to a kernel");
  }
  const pick = (rec: Readonly<Record<string, Node>>) =>
    Object.fromEntries(Object.entries(rec).map(([k, n]) => [k, bufOf.get(n)!]));
  return E.right({ buffers, kernels, inputs: pick(g.inputs), outputs: pick(g.outputs) });
};
