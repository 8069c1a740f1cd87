import type { Graph, Kernel, Plan } from "@loom/graph";
import { kernelLayers, printKernel, printPlan } from "@loom/graph";

/** ` @ conv1, bn1`: the layers a kernel's nodes came from, or nothing for kernels of no layer. */
const layerNote = (layers: readonly string[]): string =>
  layers.length === 0 ? "" : `  @ ${layers.join(", ")}`;

/**
 * `layers: conv1, bn1` for kernel `k` of a plan lowered from `g`: where `loom inspect --kernel`
 * says which of the model's layers the kernel computes.
 */
export const printKernelLayers = (g: Graph, k: Kernel): string =>
  `layers: ${kernelLayers(g, [k])[0]!.join(", ") || "(none: data, labels or counters only)"}`;

/**
 * `printPlan`'s text with every kernel line labelled by its layers (` @ conv1, bn1` after the node numbers).
 * `g` is the graph the plan was lowered from: the pipeline report's `graph`, for every plan stage.
 */
export const printLabelledPlan = (g: Graph, plan: Plan): string => {
  const lines = printPlan(plan).split("\n");
  // printPlan ends with one line per kernel; only those are replaced.
  const head = lines.slice(0, lines.length - plan.kernels.length);
  const layers = kernelLayers(g, plan.kernels);
  const kernels = plan.kernels.map((k, i) => `${printKernel(plan, k, i)}${layerNote(layers[i]!)}`);
  return [...head, ...kernels].join("\n");
};
