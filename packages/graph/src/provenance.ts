import type { Graph } from "./graph";
import { topoOrder } from "./graph";
import type { Kernel } from "./plan";

/**
 * The layer paths of the nodes each kernel absorbed (`conv1`, `layer1.0.conv2`), each once, in
 * node order. `g` is the graph the plan was lowered from (a kernel's `nodes` number its nodes
 * in topological order); nodes of no layer (the labels, the step counter) add none.
 */
export const kernelLayers = (g: Graph, kernels: readonly Kernel[]): string[][] => {
  const order = topoOrder(g);
  return kernels.map((k) => [...new Set(k.nodes.flatMap((i) => order[i]?.path ?? []))]);
};
