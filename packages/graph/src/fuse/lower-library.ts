import type { LibraryCall } from "../library-call";
import type { Attrs, Node } from "../node";
import type { LibraryDef } from "../op-def";
import type { LibraryKernel } from "../plan";
import { baseOfSameBytes, foldedTranspose, isLastTwoSwap, isSameBytesView } from "./views";
import type { LoweringContext } from "./lowering-context";

/** Where one operand of a library kernel is read from, and whether it is read with another shape. */
interface Operand {
  readonly buffer: number;
  readonly call: LibraryCall;
  readonly reshaped: boolean;
}

/**
 * Operand `k` of library node `root`: its own buffer, the buffer under a same-bytes view
 * (read with the view's shape), or the buffer under a folded transpose (the call then reads
 * it through its flag).
 */
const operand = (ctx: LoweringContext, root: Node, k: number, call: LibraryCall): Operand => {
  const { table, buffered, bufOf } = ctx;
  const i = root.inputs[k]!;
  if (buffered.has(i)) return { buffer: bufOf.get(i)!, call, reshaped: false };
  if (isSameBytesView(table, i))
    return { buffer: bufOf.get(baseOfSameBytes(table, i))!, call, reshaped: true };
  // Not buffered and not a view of bytes: decideBuffers only allows a folded transpose here.
  const t = i.inputs[0]!;
  return {
    buffer: bufOf.get(buffered.has(t) ? t : baseOfSameBytes(table, t))!,
    call: foldedTranspose(table, root, k, call, ctx.foldTransposes)!,
    reshaped: isSameBytesView(table, t) && !buffered.has(t),
  };
};

/**
 * The library kernel of `root`: the op's typed call (with transposes folded into it), its
 * operands' buffers, and their logical shapes when a buffer is read with another shape.
 */
export const lowerLibraryKernel = (
  ctx: LoweringContext,
  root: Node,
  def: LibraryDef<Attrs>,
): LibraryKernel => {
  let call = def.libraryCall(root.attrs);
  let reshaped = false;
  const inputs = root.inputs.map((_, k) => {
    const o = operand(ctx, root, k, call);
    call = o.call;
    reshaped ||= o.reshaped;
    return o.buffer;
  });
  const inputShapes = root.inputs.map(
    (i) =>
      (isLastTwoSwap(ctx.table, i) && !ctx.buffered.has(i) ? i.inputs[0]! : i).shape as number[],
  );
  return {
    kind: "library",
    call,
    out: ctx.bufOf.get(root)!,
    inputs,
    shape: root.shape as readonly number[],
    ...(reshaped ? { inputShapes } : {}),
    ...(def.overwrites !== undefined ? { overwrites: def.overwrites } : {}),
    nodes: [ctx.ids.get(root)!],
  };
};
