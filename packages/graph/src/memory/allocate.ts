/** A block to place in the arena: its bytes and its live range (inclusive steps). */
export interface Block {
  readonly bytes: number;
  readonly start: number;
  readonly end: number;
}

/** Offsets for blocks, and the arena size they need. */
export interface Placement {
  readonly offsets: readonly number[];
  readonly arenaBytes: number;
}

const liveTogether = (a: Block, b: Block): boolean => a.start <= b.end && b.start <= a.end;

/**
 * Places blocks in the given order, each in the tightest gap (best fit) left between the
 * already placed blocks that are live at the same time as it, or above them all when no gap
 * fits. Offsets are sums of block sizes, so blocks of aligned sizes get aligned offsets.
 */
export const placeInOrder = (blocks: readonly Block[], order: readonly number[]): Placement => {
  const offsets = new Array<number>(blocks.length).fill(0);
  // Placed blocks sorted by offset, so that the gaps between them are found in one scan.
  const placed: number[] = [];
  let arenaBytes = 0;
  for (const i of order) {
    const b = blocks[i]!;
    let top = 0;
    let best = -1;
    let bestGap = Infinity;
    for (const j of placed) {
      const p = blocks[j]!;
      if (!liveTogether(b, p)) continue;
      const gap = offsets[j]! - top;
      if (gap >= b.bytes && gap < bestGap) {
        bestGap = gap;
        best = top;
      }
      top = Math.max(top, offsets[j]! + p.bytes);
    }
    const at = best >= 0 ? best : top;
    offsets[i] = at;
    arenaBytes = Math.max(arenaBytes, at + b.bytes);
    let lo = 0;
    let hi = placed.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[placed[mid]!]! <= at) lo = mid + 1;
      else hi = mid;
    }
    placed.splice(lo, 0, i);
  }
  return { offsets, arenaBytes };
};

const byIndex = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Offline placement of live ranges in one arena: the "greedy by size" heuristic of
 * Pisarchyk & Lee, "Efficient Memory Management for Deep Neural Net Inference" (2020) —
 * biggest blocks first, each into the best-fitting gap — tried with a few tie-breaking
 * orders (and a first-come order), keeping the smallest arena. Cost: O(orders x n^2).
 */
export const allocate = (blocks: readonly Block[]): Placement => {
  const length = (b: Block) => b.end - b.start;
  const orders: ((a: Block, b: Block) => number)[] = [
    (a, b) => b.bytes - a.bytes || length(b) - length(a) || a.start - b.start,
    (a, b) => b.bytes - a.bytes || a.start - b.start,
    (a, b) => b.bytes * (length(b) + 1) - a.bytes * (length(a) + 1),
    (a, b) => a.start - b.start || b.bytes - a.bytes,
  ];
  let best: Placement | undefined;
  for (const cmp of orders) {
    const order = byIndex(blocks.length).sort((i, j) => cmp(blocks[i]!, blocks[j]!) || i - j);
    const p = placeInOrder(blocks, order);
    if (best === undefined || p.arenaBytes < best.arenaBytes) best = p;
  }
  return best ?? { offsets: [], arenaBytes: 0 };
};
