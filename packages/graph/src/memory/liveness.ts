import { DTYPE_BYTES } from "../dtype";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { numel } from "../shape";

/**
 * A buffer's live range over the kernel schedule, both ends inclusive. Step `k` is kernel
 * `k`; step -1 is before the first kernel (feeds and constants are written), step K (the
 * kernel count) after the last one (outputs are copied out).
 */
export interface LiveRange {
  readonly start: number;
  readonly end: number;
}

/** The bytes a buffer's elements occupy, before alignment. */
export const rawBytes = (b: BufferInfo): number => numel(b.shape) * DTYPE_BYTES[b.dtype];

/** `n` rounded up to a multiple of `alignment`. */
export const alignUp = (n: number, alignment: number): number =>
  Math.ceil(n / alignment) * alignment;

/** Every buffer a kernel reads, epilogue inputs included (duplicates kept). */
export const kernelReads = (k: Kernel): readonly number[] =>
  k.kind === "library" && k.epilogue !== undefined ? [...k.inputs, ...k.epilogue.inputs] : k.inputs;

/**
 * The live range of every buffer of a plan. Inputs and constants are born at step -1;
 * constants, and every graph output, live to step K. A temporary lives from the kernel that
 * writes it to the last kernel that reads it. Ranges are conservative on malformed plans (a
 * read before the write widens the range) rather than failing: validating is not this
 * function's job.
 */
export const liveRanges = (plan: Plan): LiveRange[] => {
  const after = plan.kernels.length;
  const first = plan.buffers.map((): number | undefined => undefined);
  const last = plan.buffers.map((): number | undefined => undefined);
  const touch = (b: number, t: number) => {
    first[b] = Math.min(first[b] ?? t, t);
    last[b] = Math.max(last[b] ?? t, t);
  };
  plan.kernels.forEach((k, t) => {
    touch(k.out, t);
    for (const b of kernelReads(k)) touch(b, t);
  });
  const fed = new Set(Object.values(plan.inputs));
  const kept = new Set(Object.values(plan.outputs));
  return plan.buffers.map((b, id) => {
    const early = b.kind !== "temp" || fed.has(id);
    const start = early ? -1 : (first[id] ?? (kept.has(id) ? after : -1));
    const late = b.kind === "constant" || kept.has(id);
    const end = late ? after : Math.max(last[id] ?? start, start);
    return { start, end };
  });
};

/**
 * The buffers that live outside the arena: graph inputs (read straight from the caller's
 * arrays) and the outputs kernels write (fresh arrays handed to the caller every run).
 * Constants stay in the arena even when they are outputs (they are written once).
 */
export const outsideArena = (plan: Plan): ReadonlySet<number> => {
  const outside = new Set(Object.values(plan.inputs));
  for (const id of Object.values(plan.outputs)) {
    if (plan.buffers[id]?.kind === "temp") outside.add(id);
  }
  return outside;
};
