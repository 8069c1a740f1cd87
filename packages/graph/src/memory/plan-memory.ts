import { LoomError } from "../error";
import type { Plan } from "../plan";
import type { Block } from "./allocate";
import { allocate } from "./allocate";
import { canWriteInPlace } from "./in-place";
import type { LiveRange } from "./liveness";
import { alignUp, liveRanges, outsideArena, rawBytes } from "./liveness";

export { checkNoOverlap } from "./check-no-overlap";
export type { ScheduleOptions } from "./schedule";
export { scheduleForMemory } from "./schedule";

/** What memory planning achieved, in bytes, against what no reuse and the best possible would need. */
export interface MemoryStats {
  /** The arena size (= the plan's `arenaBytes`): temporaries and constants. */
  readonly peakBytes: number;
  /** The sum of every arena buffer's (aligned) size: the arena without any reuse. */
  readonly noReuseBytes: number;
  /**
   * The most bytes live at any one step (in-place pairs counted once): no placement of these
   * live ranges can use a smaller arena.
   */
  readonly lowerBoundBytes: number;
  /** How many kernels write their output over a dying input. */
  readonly inPlace: number;
  /** Bytes of the graph inputs, read from the caller's arrays (outside the arena). */
  readonly inputBytes: number;
  /** Bytes of the outputs kernels write, fresh arrays for the caller (outside the arena). */
  readonly outputBytes: number;
}

/** Options of the memory planner. */
export interface MemoryOptions {
  /** Alignment of every slot and size, in bytes (64 = a cache line, and enough for any typed-array view). */
  readonly alignment?: number;
  /** Let elementwise kernels overwrite an input that dies with them (off for WebGL, which cannot read and write one texture). */
  readonly inPlace?: boolean;
}

/**
 * Memory planning: gives every arena buffer of a plan (temporaries and constants) a byte
 * offset `slot` in one arena of `arenaBytes`, reusing the bytes of dead buffers, and lets a
 * kernel write over an input dying with it (elementwise kernels, and library ops that declare
 * `overwrites`). Graph inputs and the outputs kernels write get no slot: backends read inputs
 * from the caller's arrays and write outputs into fresh ones. Buffers live over the kernel
 * schedule: temporaries from their kernel to their last read, constants for the whole run.
 * Kernel order is kept (`scheduleForMemory` chooses it).
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
  const outside = outsideArena(plan);
  const bytes = plan.buffers.map((b) => alignUp(rawBytes(b), alignment));
  const sumOf = (keep: (id: number) => boolean) =>
    plan.buffers.reduce((s, b) => s + (keep(b.id) ? rawBytes(b) : 0), 0);
  const ranges = liveRanges(plan);
  const eligible =
    (opts.inPlace ?? true)
      ? (t: number, b: number) => canWriteInPlace(plan, t, b, ranges, outside)
      : () => false;
  const { blockOf, blocks, roots, inPlace } = arenaBlocks(plan, ranges, outside, bytes, eligible);
  const used: Block[] = roots.map((id) => blocks[id]!);
  const placement = allocate(used);
  const offsetOf = new Map(roots.map((id, i) => [id, placement.offsets[i]!]));

  const planned: Plan = {
    ...plan,
    buffers: plan.buffers.map((b, id) => {
      if (!outside.has(id)) return { ...b, slot: offsetOf.get(blockOf[id]!)! };
      const { slot: _, ...rest } = b;
      return rest;
    }),
    arenaBytes: placement.arenaBytes,
  };
  return {
    plan: planned,
    stats: {
      peakBytes: placement.arenaBytes,
      noReuseBytes: bytes.reduce((s, n, id) => s + (outside.has(id) ? 0 : n), 0),
      lowerBoundBytes: maxLiveBytes(used, plan.kernels.length),
      inPlace,
      inputBytes: sumOf((id) => Object.values(plan.inputs).includes(id)),
      outputBytes: sumOf((id) => outside.has(id) && !Object.values(plan.inputs).includes(id)),
    },
  };
};

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
