import { LoomError } from "../error";
import type { Plan } from "../plan";
import type { Block } from "./allocate";
import { allocate } from "./allocate";
import { arenaBlocks, maxLiveBytes } from "./blocks";
import { canWriteInPlace } from "./in-place";
import { alignUp, liveRanges, outsideArena, rawBytes } from "./liveness";

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
