import * as E from "fp-ts/lib/Either.js";
import { DTYPE_SHORT } from "../dtype";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Plan } from "../plan";
import { formatShape } from "../shape";
import { canWriteInPlace } from "./in-place";
import type { LiveRange } from "./liveness";
import { liveRanges, outsideArena, rawBytes } from "./liveness";

const showBuffer = (plan: Plan, id: number, r: LiveRange): string => {
  const b = plan.buffers[id]!;
  return `buffer ${id} ${DTYPE_SHORT[b.dtype]}${formatShape(b.shape)} at bytes [${b.slot}, ${b.slot! + rawBytes(b)}) live over steps ${r.start}..${r.end}`;
};

/**
 * Validates a memory plan (in tests and debug mode): every arena buffer has a slot inside the
 * arena and the graph's inputs and kernel-written outputs have none (they live outside it),
 * and no two buffers live at the same step share a byte, except a kernel's output written in
 * place over an input that dies at that kernel (same slot, eligible reads).
 */
export const checkNoOverlap = (plan: Plan): E.Either<LoomError, Plan> => {
  const arena = plan.arenaBytes;
  if (arena === undefined) {
    return fail(
      "invalid_argument",
      "checkNoOverlap",
      "the plan has no arenaBytes; run planMemory first",
    );
  }
  const outside = outsideArena(plan);
  for (const b of plan.buffers) {
    const s = b.slot;
    if (outside.has(b.id)) {
      if (s === undefined) continue;
      return fail(
        "invalid_graph",
        "checkNoOverlap",
        `buffer ${b.id} ${DTYPE_SHORT[b.dtype]}${formatShape(b.shape)} is a graph input or output but has arena slot ${s}; run planMemory on this plan`,
        [b.shape],
      );
    }
    if (s === undefined || !Number.isInteger(s) || s < 0 || s + rawBytes(b) > arena) {
      return fail(
        "invalid_graph",
        "checkNoOverlap",
        `buffer ${b.id} ${DTYPE_SHORT[b.dtype]}${formatShape(b.shape)} has slot ${s}, which does not fit its ${rawBytes(b)} bytes in the ${arena}-byte arena; run planMemory on this plan`,
        [b.shape],
      );
    }
  }
  const ranges = liveRanges(plan);
  const writer = new Map(plan.kernels.map((k, t) => [k.out, t]));
  // An in-place pair: `b` written by kernel t over `a`, which dies there, in exactly a's bytes.
  const inPlacePair = (a: number, b: number): boolean => {
    const t = writer.get(b);
    const [x, y] = [plan.buffers[a]!, plan.buffers[b]!];
    return (
      t !== undefined &&
      x.slot === y.slot &&
      rawBytes(x) === rawBytes(y) &&
      canWriteInPlace(plan, t, a, ranges, outside)
    );
  };
  const bySlot = plan.buffers
    .map((_, id) => id)
    .filter((id) => !outside.has(id) && rawBytes(plan.buffers[id]!) > 0)
    .sort((a, b) => plan.buffers[a]!.slot! - plan.buffers[b]!.slot!);
  for (let i = 0; i < bySlot.length; i++) {
    const a = bySlot[i]!;
    const endA = plan.buffers[a]!.slot! + rawBytes(plan.buffers[a]!);
    for (let j = i + 1; j < bySlot.length && plan.buffers[bySlot[j]!]!.slot! < endA; j++) {
      const b = bySlot[j]!;
      const [ra, rb] = [ranges[a]!, ranges[b]!];
      if (ra.start > rb.end || rb.start > ra.end) continue;
      if (inPlacePair(a, b) || inPlacePair(b, a)) continue;
      return fail(
        "invalid_graph",
        "checkNoOverlap",
        `${showBuffer(plan, a, ra)} overlaps ${showBuffer(plan, b, rb)}; the memory plan is wrong (run planMemory again, or report a planner bug)`,
        [plan.buffers[a]!.shape, plan.buffers[b]!.shape],
      );
    }
  }
  return E.right(plan);
};
