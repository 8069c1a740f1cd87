import type { Node } from "../node";

/**
 * The deepest chain of graph nodes one kernel inlines. Code generation walks a kernel's
 * expression recursively and JavaScript engines parse nested expressions recursively too, so an
 * unbounded region (a 20,000-op elementwise chain) would overflow the stack or the parser; a
 * region deeper than this stores an intermediate in a buffer of its own and starts a new kernel
 * from it. Depth, not size: the walker computes a shared subexpression once, so only nesting
 * grows the stack. Far above what a layer fuses, so ordinary plans never split.
 */
export const KERNEL_DEPTH_BUDGET = 128;

/**
 * Adds buffers to `buffered` so that no kernel inlines a chain deeper than `budget` nodes: walks
 * the nodes in topological order, giving each unbuffered node the depth of its inlined
 * expression (a buffered input counts as one load), and while a depth passes the budget stores
 * the deepest inlined input in a buffer of its own.
 */
export const capKernelDepth = (
  order: readonly Node[],
  buffered: ReadonlySet<Node>,
  budget: number = KERNEL_DEPTH_BUDGET,
): ReadonlySet<Node> => {
  const out = new Set(buffered);
  const depth = new Map<Node, number>();
  const depthOf = (n: Node) => (out.has(n) ? 1 : depth.get(n)!);
  for (const n of order) {
    const deepest = () => n.inputs.reduce((a, b) => (depthOf(b) > depthOf(a) ? b : a));
    while (n.inputs.length > 0 && depthOf(deepest()) >= Math.max(budget, 2)) {
      out.add(deepest());
    }
    depth.set(n, 1 + n.inputs.reduce((d, i) => Math.max(d, depthOf(i)), 0));
  }
  return out;
};
