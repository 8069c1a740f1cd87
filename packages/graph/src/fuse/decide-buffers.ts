import * as E from "fp-ts/lib/Either.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Node } from "../node";
import type { OpTable } from "../op-def";
import { formatShape, isConcrete } from "../shape";
import { isConstantNode, isInputNode, isSplatConstant } from "../sources";
import { baseOfSameBytes, isSameBytesView, readsTransposed } from "./views";
import { ownValue } from "../own";

/** Checks that every node has concrete dims and an op in the table, before fusion decides anything. */
const checkNodes = (table: OpTable, order: readonly Node[]): E.Either<LoomError, readonly Node[]> =>
  E.traverseArray((n: Node): E.Either<LoomError, Node> =>
    !isConcrete(n.shape)
      ? fail(
          "unsupported",
          n.op,
          `shape ${formatShape(n.shape)} still has symbolic dims; specialise shapes before fusion`,
          [n.shape],
        )
      : ownValue(table, n.op) === undefined
        ? fail("unknown_op", n.op, "op is not in the op table")
        : E.right(n),
  )(order);

/** True when a library node reads its operand `k` in place (a folded transpose, or a same-bytes view). */
export const readsInPlace = (table: OpTable, n: Node, k: number, fold: boolean): boolean =>
  readsTransposed(table, n, k, fold) || isSameBytesView(table, n.inputs[k]!);

/**
 * How many kernels read each node, and which nodes a library kernel reads from a buffer. A
 * reduction recomputes what it reads in its own loop, so a value read by a reduction and by
 * one other kernel is computed in both rather than stored (softmax's exp).
 */
const countReads = (table: OpTable, order: readonly Node[], fold: boolean) => {
  const uses = new Map<Node, number>();
  const readByLibrary = new Set<Node>();
  for (const n of order) {
    const fusion = table[n.op]!.fusion;
    n.inputs.forEach((i, k) => {
      if (fusion !== "reduce") uses.set(i, (uses.get(i) ?? 0) + 1);
      if (fusion === "library" && !readsInPlace(table, n, k, fold)) readByLibrary.add(i);
    });
  }
  return { uses, readByLibrary };
};

/**
 * Which nodes own a buffer: graph inputs and outputs, constants that are not splats, library
 * ops, reductions, nodes a library op reads from a buffer, and nodes read by more than one
 * kernel (unless they are cheap to recompute: a splat, a view of one buffer, or a generator
 * with no inputs such as iota). Then, for library operands read in place, the buffer they
 * view. Inputs are decided before their users.
 */
export const decideBuffers = (
  table: OpTable,
  order: readonly Node[],
  outputs: ReadonlySet<Node>,
  fold: boolean,
): E.Either<LoomError, ReadonlySet<Node>> =>
  E.map(() => {
    const { uses, readByLibrary } = countReads(table, order, fold);
    const buffered = new Set<Node>();
    // A cheap view reads one buffer once: a view of several inputs (concat) read more than
    // once is stored, or nested concats of shared values would grow expressions exponentially.
    // Memoised in topological order (each node's answer is final once it is decided), so a
    // long chain of views costs no recursion.
    const views = new Map<Node, boolean>();
    const viewOfBuffer = (n: Node): boolean =>
      views.get(n) ??
      (isSplatConstant(n) ||
        (table[n.op]!.fusion === "movement" &&
          n.inputs.length === 1 &&
          (buffered.has(n.inputs[0]!) || views.get(n.inputs[0]!) === true)));
    for (const n of order) {
      const fusion = table[n.op]!.fusion;
      const generator = fusion === "elementwise" && n.inputs.length === 0;
      const own =
        isInputNode(n) ||
        (isConstantNode(n) && (!isSplatConstant(n) || outputs.has(n))) ||
        fusion === "library" ||
        fusion === "reduce" ||
        outputs.has(n) ||
        readByLibrary.has(n) ||
        ((uses.get(n) ?? 0) > 1 &&
          !isSplatConstant(n) &&
          !(fusion === "movement" && viewOfBuffer(n)) &&
          !generator);
      if (own) buffered.add(n);
      views.set(n, own || viewOfBuffer(n));
    }
    // A library operand read in place must then be a buffer itself: a folded transpose's
    // input, or the base of a same-bytes view (a reshape of a contiguous buffer is its bytes).
    for (const n of order) {
      if (table[n.op]!.fusion !== "library") continue;
      n.inputs.forEach((i, k) => {
        if (!readsInPlace(table, n, k, fold) || buffered.has(i)) return;
        buffered.add(baseOfSameBytes(table, isSameBytesView(table, i) ? i : i.inputs[0]!));
      });
    }
    return buffered;
  })(checkNodes(table, order));
