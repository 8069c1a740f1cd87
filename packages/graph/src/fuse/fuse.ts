import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LoomError } from "../error";
import type { Graph } from "../graph";
import { numberNodes, topoOrder } from "../graph";
import type { Node } from "../node";
import type { OpTable } from "../op-def";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { constantData, isConstantNode, isInputNode } from "../sources";
import { decideBuffers } from "./decide-buffers";
import { compactBuffers, fuseEpilogues } from "./epilogues";
import { lowerExprKernel } from "./lower-expr";
import { lowerLibraryKernel } from "./lower-library";
import { capKernelDepth } from "./size-budget";
import type { LoweringContext } from "./lowering-context";

export { compactBuffers, fuseEpilogues, isExprKernel } from "./epilogues";

/** Switches of the fusion pass, for inspection and for testing it against the unfused lowering. */
export interface FusionOptions {
  /** Fuse elementwise consumers into matmul/conv outputs (default true). */
  readonly epilogues?: boolean;
  /** Read a transposed matmul operand through `transA`/`transB` instead of copying it (default true). */
  readonly foldTransposes?: boolean;
}

/** One buffer per buffered node, in topological order: inputs, constants (with data) and temporaries. */
const allocateBuffers = (order: readonly Node[], buffered: ReadonlySet<Node>) => {
  const buffers: BufferInfo[] = [];
  const bufOf = new Map<Node, number>();
  for (const n of order.filter((m) => buffered.has(m))) {
    const id = buffers.length;
    bufOf.set(n, id);
    const shape = n.shape as readonly number[];
    if (isInputNode(n)) buffers.push({ id, shape, dtype: n.dtype, kind: "input" });
    else if (isConstantNode(n))
      buffers.push({ id, shape, dtype: n.dtype, kind: "constant", data: constantData(n) });
    else buffers.push({ id, shape, dtype: n.dtype, kind: "temp" });
  }
  return { buffers, bufOf };
};

/** The kernel computing buffered node `root`: a library call or an expression with its region inlined. */
const lowerKernel = (ctx: LoweringContext, root: Node): E.Either<LoomError, Kernel> => {
  const def = ctx.table[root.op]!;
  return def.fusion === "library"
    ? E.right(lowerLibraryKernel(ctx, root, def))
    : lowerExprKernel(ctx, root);
};

/**
 * Fusion and lowering: partitions a graph with concrete shapes into kernels of the kernel IR
 * and returns the plan. A node gets a buffer of its own when it is a graph output, a library
 * op, a reduction, read by a library op, or read by more than one kernel other than
 * reductions (unless it is a cheap view of a buffer); everything else is inlined into the
 * expression of the kernel that reads it: chains of elementwise ops become one loop, movement
 * ops become index arithmetic, a reduction's elementwise prologue becomes its loop body, and
 * (with `epilogues`) an elementwise consumer of a matmul or convolution becomes that kernel's
 * epilogue.
 */
export const lowerFused = (
  table: OpTable,
  g: Graph,
  opts: FusionOptions = {},
): E.Either<LoomError, Plan> => {
  const order = topoOrder(g);
  const foldTransposes = opts.foldTransposes !== false;
  return pipe(
    decideBuffers(table, order, new Set(Object.values(g.outputs)), foldTransposes),
    E.map((buffered) => capKernelDepth(order, buffered)),
    E.chain((buffered) => {
      const { buffers, bufOf } = allocateBuffers(order, buffered);
      const ctx: LoweringContext = {
        table,
        buffered,
        bufOf,
        ids: numberNodes(order),
        foldTransposes,
      };
      const roots = order.filter((n) => buffered.has(n) && !isInputNode(n) && !isConstantNode(n));
      const pick = (rec: Readonly<Record<string, Node>>) =>
        Object.fromEntries(Object.entries(rec).map(([k, n]) => [k, bufOf.get(n)!]));
      return pipe(
        E.traverseArray((root: Node) => lowerKernel(ctx, root))(roots),
        E.map((kernels): Plan => ({
          buffers,
          kernels,
          inputs: pick(g.inputs),
          outputs: pick(g.outputs),
        })),
      );
    }),
    E.map((plan) => (opts.epilogues === false ? compactBuffers(plan) : fuseEpilogues(plan))),
  );
};
