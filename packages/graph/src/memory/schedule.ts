import type { Plan } from "../plan";
import { inPlaceEligible } from "./in-place";
import { alignUp, kernelReads, liveRanges, outsideArena, rawBytes } from "./liveness";
import { arenaBlocks, maxLiveBytes } from "./blocks";

/** Options of `scheduleForMemory`. */
export interface ScheduleOptions {
  /** Alignment the memory planner will use (bytes; default 64), so peaks are measured alike. */
  readonly alignment?: number;
  /** Whether the planner will write in place (default true): in-place pairs then count once. */
  readonly inPlace?: boolean;
  /** Rounds of the hoisting search (default 3; 0 keeps the greedy order). */
  readonly rounds?: number;
}

/**
 * Memory-aware kernel order: permutes a plan's kernels (respecting every read-after-write) to
 * lower the arena's lower bound, the most bytes of arena buffers live at one step with in-place
 * pairs counted once. Two steps, each kept only when it lowers that peak:
 *
 * 1. Greedy list scheduling: among the kernels whose inputs are ready, run the one that frees
 *    the most arena bytes net of what its output adds (the earliest in the given order on
 *    ties), so buffers die soon after they are born.
 * 2. Hoisting: a greedy order still runs a kernel whose output outlives it (a weight gradient
 *    feeding the optimizer update) after the peak it could have avoided. For each kernel, try
 *    moving it, with every later kernel that then only waits on it (its update chain), to just
 *    after its last producer; keep the move when the peak drops.
 *
 * Buffers keep their ids; only `kernels` is permuted. Never worse than the given order.
 */
export const scheduleForMemory = (plan: Plan, opts: ScheduleOptions = {}): Plan => {
  const kernels = plan.kernels;
  const K = kernels.length;
  const outside = outsideArena(plan);
  const alignment = opts.alignment ?? 64;
  const bytes = plan.buffers.map((b) => alignUp(rawBytes(b), alignment));
  const arenaBytes = (b: number): number =>
    outside.has(b) || plan.buffers[b]!.kind !== "temp" ? 0 : bytes[b]!;
  const producer = new Map<number, number>();
  kernels.forEach((k, t) => producer.set(k.out, t));
  const reads = kernels.map((k) => [...new Set(kernelReads(k))]);
  const readers = new Map<number, number[]>();
  reads.forEach((bs, t) => bs.forEach((b) => readers.set(b, [...(readers.get(b) ?? []), t])));
  // In-place eligibility does not depend on the order, only "dies here" does: ask once.
  const eligibleOver = kernels.map((k) =>
    opts.inPlace === false ? [] : k.inputs.filter((b) => inPlaceEligible(plan, k, b, outside)),
  );

  const peakOf = (order: readonly number[]): number => {
    const p: Plan = { ...plan, kernels: order.map((t) => kernels[t]!) };
    const ranges = liveRanges(p);
    const eligible = (at: number, b: number) =>
      ranges[b]!.end === at && eligibleOver[order[at]!]!.includes(b);
    const { blocks, roots } = arenaBlocks(p, ranges, outside, bytes, eligible);
    return maxLiveBytes(
      roots.map((id) => blocks[id]!),
      K,
    );
  };

  const greedy = (): number[] | undefined => {
    const pendingReads = new Map([...readers].map(([b, ts]) => [b, ts.length]));
    const waiting = reads.map((bs) => bs.filter((b) => producer.has(b)).length);
    const ready = new Set(kernels.map((_, t) => t).filter((t) => waiting[t] === 0));
    const order: number[] = [];
    while (ready.size > 0) {
      let best = -1;
      let bestScore = -Infinity;
      for (const t of ready) {
        let score = -arenaBytes(kernels[t]!.out);
        for (const b of reads[t]!) if (pendingReads.get(b) === 1) score += arenaBytes(b);
        if (score > bestScore || (score === bestScore && t < best)) {
          bestScore = score;
          best = t;
        }
      }
      ready.delete(best);
      order.push(best);
      for (const b of reads[best]!) pendingReads.set(b, pendingReads.get(b)! - 1);
      for (const r of readers.get(kernels[best]!.out) ?? []) {
        waiting[r]!--;
        if (waiting[r] === 0) ready.add(r);
      }
    }
    // A kernel reading a buffer written after it (a malformed plan) never becomes ready.
    return order.length === K ? order : undefined;
  };

  /** `order` with the kernel at `i` and the later kernels waiting only on it moved up, or undefined. */
  const hoisted = (order: readonly number[], i: number): number[] | undefined => {
    const pos = new Array<number>(K);
    order.forEach((t, at) => (pos[t] = at));
    const k = order[i]!;
    let e = 0;
    for (const b of reads[k]!) {
      const w = producer.get(b);
      if (w !== undefined) e = Math.max(e, pos[w]! + 1);
    }
    if (e >= i) return undefined;
    const moved = new Set([k]);
    const before = (b: number) => {
      const w = producer.get(b);
      return w === undefined || pos[w]! < e || moved.has(w);
    };
    for (let j = i + 1; j < K; j++) {
      const d = order[j]!;
      const feeds = reads[d]!.some((b) => moved.has(producer.get(b) ?? -1));
      if (feeds && reads[d]!.every(before)) moved.add(d);
    }
    const chain = order.filter((t) => moved.has(t));
    const rest = order.slice(e).filter((t) => !moved.has(t));
    return [...order.slice(0, e), ...chain, ...rest];
  };

  let order = kernels.map((_, t) => t);
  let peak = peakOf(order);
  const first = greedy();
  if (first === undefined) return plan;
  const firstPeak = peakOf(first);
  if (firstPeak < peak) [order, peak] = [first, firstPeak];
  for (let round = 0; round < (opts.rounds ?? 3); round++) {
    let improved = false;
    for (let i = 0; i < K; i++) {
      const next = hoisted(order, i);
      if (next === undefined) continue;
      const p = peakOf(next);
      if (p < peak) [order, peak, improved] = [next, p, true];
    }
    if (!improved) break;
  }
  return { ...plan, kernels: order.map((t) => kernels[t]!) };
};
