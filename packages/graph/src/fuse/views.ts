import type { Node } from "../node";
import type { LibraryCall } from "../library-call";
import type { OpTable } from "../op-def";

/**
 * What fusion asks the op table about views that a library kernel reads in place: a view of the
 * same bytes (a reshape), and a swap of the last two axes that a kernel reads through a flag
 * (matmul's `transA`/`transB`). Each answer comes from a capability field of the op's `OpDef`.
 */

/** True for a movement node whose output is its input's bytes in the same order (a reshape). */
export const isSameBytesView = (table: OpTable, n: Node): boolean => {
  const d = table[n.op];
  return d?.fusion === "movement" && d.sameBytes === true;
};

/** The first node under a chain of same-bytes views. */
export const baseOfSameBytes = (table: OpTable, n: Node): Node =>
  isSameBytesView(table, n) ? baseOfSameBytes(table, n.inputs[0]!) : n;

/** True for a movement node that swaps the last two axes only. */
export const isLastTwoSwap = (table: OpTable, n: Node): boolean => {
  const d = table[n.op];
  return d?.fusion === "movement" && d.swapsLastTwo?.(n.attrs) === true;
};

/**
 * The call of library node `n` reading operand `k` in place through a transpose flag, when
 * folding is on, the operand swaps the last two axes and the kernel can read it so; else
 * undefined.
 */
export const foldedTranspose = (
  table: OpTable,
  n: Node,
  k: number,
  call: LibraryCall,
  fold: boolean,
): LibraryCall | undefined => {
  const d = table[n.op];
  if (!fold || d?.fusion !== "library" || !isLastTwoSwap(table, n.inputs[k]!)) return undefined;
  return d.readTransposed?.(call, k);
};

/** True when library node `n` reads operand `k` through a folded transpose. */
export const readsTransposed = (table: OpTable, n: Node, k: number, fold: boolean): boolean => {
  const d = table[n.op];
  return (
    d?.fusion === "library" &&
    foldedTranspose(table, n, k, d.libraryCall(n.attrs), fold) !== undefined
  );
};
