import type { MemoryStats, Plan } from "@loom/graph";
import { kernelReads, liveRanges, outsideArena, rawBytes } from "@loom/graph";
import type { MemoryBuffer, MemoryPlan } from "./types";

/** The input a kernel writes over: same arena offset, and its life ends where the output's begins. */
const inPlaceInputs = (plan: Plan, ranges: ReturnType<typeof liveRanges>): Map<number, number> => {
  const over = new Map<number, number>();
  plan.kernels.forEach((k, t) => {
    const slot = plan.buffers[k.out]!.slot;
    if (slot === undefined) return;
    const src = kernelReads(k).find(
      (b) => b !== k.out && plan.buffers[b]!.slot === slot && ranges[b]!.end === t,
    );
    if (src !== undefined) over.set(k.out, src);
  });
  return over;
};

/** The names of a plan's graph inputs and outputs, by buffer. */
const names = (plan: Plan): Map<number, string> =>
  new Map(
    [...Object.entries(plan.inputs), ...Object.entries(plan.outputs)].map(([n, b]) => [b, n]),
  );

/**
 * The memory plan as a timeline: every buffer with its arena offset (none outside the arena),
 * its live range over the kernel steps and the input it overwrites, with the planner's figures.
 */
export const memoryPlan = (plan: Plan, stats: MemoryStats): MemoryPlan => {
  const ranges = liveRanges(plan);
  const outside = outsideArena(plan);
  const over = inPlaceInputs(plan, ranges);
  const named = names(plan);
  return {
    steps: plan.kernels.length,
    peakBytes: stats.peakBytes,
    lowerBoundBytes: stats.lowerBoundBytes,
    noReuseBytes: stats.noReuseBytes,
    inPlace: stats.inPlace,
    inputBytes: stats.inputBytes,
    outputBytes: stats.outputBytes,
    buffers: plan.buffers.map((b, id): MemoryBuffer => {
      const slot = outside.has(id) ? undefined : b.slot;
      return {
        id,
        kind: b.kind,
        shape: b.shape,
        dtype: b.dtype,
        bytes: rawBytes(b),
        ...(slot === undefined ? {} : { offset: slot }),
        start: ranges[id]!.start,
        end: ranges[id]!.end,
        ...(over.has(id) ? { inPlaceOf: over.get(id)! } : {}),
        ...(named.has(id) ? { name: named.get(id)! } : {}),
      };
    }),
  };
};
