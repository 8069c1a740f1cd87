import { LoomError } from "../error";
import type { Plan } from "../plan";
import type { Block } from "./allocate";
import { allocate } from "./allocate";
import { canWriteInPlace } from "./in-place";
import { alignUp, liveRanges, rawBytes } from "./liveness";

export { checkNoOverlap } from "./check-no-overlap";

/** What memory planning achieved, in bytes, against what no reuse and the best possible would need. */
export interface MemoryStats {
  /** The arena size (= the plan's `arenaBytes`). */
  readonly peakBytes: number;
  /** The sum of every buffer's (aligned) size: the arena without any reuse. */
  readonly noReuseBytes: number;
  /**
   * The most bytes live at any one step (in-place pairs counted once): no placement of these
   * live ranges can use a smaller arena.
   */
  readonly lowerBoundBytes: number;
  /** How many kernels write their output over a dying input. */
  readonly inPlace: number;
}

/** Options of the memory planner. */
export interface MemoryOptions {
  /** Alignment of every slot and size, in bytes (64 = a cache line, and enough for any typed-array view). */
  readonly alignment?: number;
  /** Let elementwise kernels overwrite an input that dies with them (off for WebGL, which cannot read and write one texture). */
  readonly inPlace?: boolean;
}

/**
 * Memory planning: gives every buffer of a plan (inputs, constants, temporaries and outputs)
 * a byte offset `slot` in one arena of `arenaBytes`, reusing the bytes of dead buffers, and
 * lets an elementwise kernel write over an input dying with it. Buffers live over the kernel
 * schedule: feeds from the start to their last read, constants for the whole run, outputs
 * from their kernel to the end. Kernel order is kept.
 */
export const planMemory = (
  plan: Plan,
  opts: MemoryOptions = {},
): { plan: Plan; stats: MemoryStats } => {
  const alignment = opts.alignment ?? 64;
  if (!Number.isInteger(alignment) || alignment < 1) {
    throw new LoomError(
      "invalid_argument",
      "planMemory",
      `alignment must be a positive integer number of bytes, got ${alignment}`,
    );
  }
  const ranges = liveRanges(plan);
  const outputs = new Set(Object.values(plan.outputs));
  const bytes = plan.buffers.map((b) => alignUp(rawBytes(b), alignment));

  // A buffer written in place joins the block of the input it overwrites; the block then
  // lives until the new buffer dies. Chains (x -> y -> z in place) share one block.
  const blockOf = plan.buffers.map((_, id) => id);
  const blocks: { bytes: number; start: number; end: number }[] = ranges.map((r, id) => ({
    bytes: bytes[id]!,
    ...r,
  }));
  let inPlace = 0;
  if (opts.inPlace ?? true) {
    plan.kernels.forEach((k, t) => {
      const over = k.inputs.find((b) => canWriteInPlace(plan, t, b, ranges, outputs));
      if (over === undefined) return;
      const blk = blockOf[over]!;
      blockOf[k.out] = blk;
      blocks[blk]!.end = Math.max(blocks[blk]!.end, ranges[k.out]!.end);
      inPlace++;
    });
  }
  const roots = plan.buffers.map((_, id) => id).filter((id) => blockOf[id] === id);
  const used: Block[] = roots.map((id) => blocks[id]!);
  const placement = allocate(used);
  const offsetOf = new Map(roots.map((id, i) => [id, placement.offsets[i]!]));

  const planned: Plan = {
    ...plan,
    buffers: plan.buffers.map((b, id) => ({ ...b, slot: offsetOf.get(blockOf[id]!)! })),
    arenaBytes: placement.arenaBytes,
  };
  return {
    plan: planned,
    stats: {
      peakBytes: placement.arenaBytes,
      noReuseBytes: bytes.reduce((s, n) => s + n, 0),
      lowerBoundBytes: maxLiveBytes(used, plan.kernels.length),
      inPlace,
    },
  };
};

/** The largest sum of sizes of blocks live at one step, over steps -1..K. */
const maxLiveBytes = (blocks: readonly Block[], kernels: number): number => {
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
