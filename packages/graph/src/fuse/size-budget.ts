import type { Node } from "../node";

/**
 * The most graph nodes one kernel inlines. Code generation walks a kernel's expression
 * recursively and JavaScript engines parse nested expressions recursively too, so an unbounded
 * region (a 20,000-op elementwise chain) would overflow the stack or the parser; a region over
 * the budget stores an intermediate in a buffer of its own and starts a new kernel from it.
 * Far above what a layer fuses (an Adam update is about 20 ops), so ordinary plans never split.
 */
export const KERNEL_SIZE_BUDGET = 128;

/**
 * Adds buffers to `buffered` so that no kernel inlines more than `budget` nodes: walks the
 * nodes in topological order, counting for each unbuffered node the nodes its expression would
 * inline (a node read twice inline counts twice, as it is written twice), and while a count
 * passes the budget stores the largest inlined input in a buffer of its own.
 */
export const capKernelSize = (
  order: readonly Node[],
  buffered: ReadonlySet<Node>,
  budget: number = KERNEL_SIZE_BUDGET,
): ReadonlySet<Node> => {
  const out = new Set(buffered);
  const size = new Map<Node, number>();
  const sizeOf = (n: Node) => (out.has(n) ? 1 : size.get(n)!);
  for (const n of order) {
    let total = n.inputs.reduce((s, i) => s + sizeOf(i), 1);
    while (total > budget) {
      const largest = n.inputs.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a));
      if (sizeOf(largest) <= 1) break;
      total -= sizeOf(largest) - 1;
      out.add(largest);
    }
    size.set(n, total);
  }
  return out;
};
