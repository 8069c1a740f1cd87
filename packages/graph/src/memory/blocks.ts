import type { Plan } from "../plan";
import type { Block } from "./allocate";
import type { LiveRange } from "./liveness";

/**
 * The arena's blocks for a kernel order: a buffer written in place joins the block of the
 * input it overwrites (`eligible(t, b)`: kernel t may write over b), and the block then lives
 * until the new buffer dies; chains (x -> y -> z in place) share one block. `roots` are the
 * arena buffers that own a block.
 */
export const arenaBlocks = (
  plan: Plan,
  ranges: readonly LiveRange[],
  outside: ReadonlySet<number>,
  bytes: readonly number[],
  eligible: (t: number, buffer: number) => boolean,
) => {
  const blockOf = plan.buffers.map((_, id) => id);
  const blocks = ranges.map((r, id) => ({ bytes: bytes[id]!, start: r.start, end: r.end }));
  let inPlace = 0;
  plan.kernels.forEach((k, t) => {
    const over = k.inputs.find((b) => eligible(t, b));
    if (over === undefined) return;
    const blk = blockOf[over]!;
    blockOf[k.out] = blk;
    blocks[blk]!.end = Math.max(blocks[blk]!.end, ranges[k.out]!.end);
    inPlace++;
  });
  const roots = plan.buffers
    .map((_, id) => id)
    .filter((id) => blockOf[id] === id && !outside.has(id));
  return { blockOf, blocks, roots, inPlace };
};

/** The largest sum of sizes of blocks live at one step, over steps -1..K. */
export const maxLiveBytes = (blocks: readonly Block[], kernels: number): number => {
  const delta = new Array<number>(kernels + 3).fill(0);
  for (const b of blocks) {
    delta[b.start + 1]! += b.bytes;
    delta[b.end + 2]! -= b.bytes;
  }
  let live = 0;
  let peak = 0;
  for (const d of delta) {
    live += d;
    peak = Math.max(peak, live);
  }
  return peak;
};
