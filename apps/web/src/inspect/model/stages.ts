import type { Graph, Plan, StageRecord } from "@loom/graph";
import { topoOrder } from "@loom/graph";
import type { PipelineReport } from "@loom/ops";
import type { StageRow } from "./types";

/** Node count per op. */
const opCounts = (g: Graph): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const n of topoOrder(g)) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
};

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

/** What a graph pass changed, as op-count differences, largest first (at most `top`). */
const opChanges = (before: Record<string, number>, after: Record<string, number>, top = 8) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .map((op) => [op, (after[op] ?? 0) - (before[op] ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([op, d]) => `${op} ${signed(d)}`);

/** How many kernels a plan pass moved to another position (matched by the buffer they write). */
const moved = (before: Plan, after: Plan): number => {
  const at = new Map(before.kernels.map((k, i) => [k.out, i]));
  return after.kernels.filter((k, i) => at.get(k.out) !== i).length;
};

/** What lowering made of the graph: kernels by kind, library kernels with epilogues. */
const lowering = (nodes: number, unfused: number, plan: Plan): string[] => {
  const lib = plan.kernels.filter((k) => k.kind === "library");
  const epi = lib.filter((k) => k.kind === "library" && k.epilogue !== undefined).length;
  return [
    `${nodes} nodes into ${plan.kernels.length} kernels (${unfused} unfused, ${unfused - plan.kernels.length} merged)`,
    `${plan.kernels.length - lib.length} expression kernels, ${lib.length} library kernels (${epi} with a fused epilogue)`,
  ];
};

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * One row per pipeline stage of a report: node and kernel counts (the `loom inspect --json`
 * figures) and what the stage removed or merged against the stage before it.
 */
export const stageRows = (r: PipelineReport): StageRow[] => {
  const nodes = topoOrder(r.graph).length;
  let prevOps: Record<string, number> | undefined;
  let prevPlan: Plan | undefined;
  return r.stages.map((s: StageRecord): StageRow => {
    if (s.kind === "graph") {
      const ops = opCounts(s.graph);
      const count = Object.values(ops).reduce((a, b) => a + b, 0);
      const before =
        prevOps === undefined ? count : Object.values(prevOps).reduce((a, b) => a + b, 0);
      const changes =
        prevOps === undefined
          ? ["the traced graph"]
          : count === before && opChanges(prevOps, ops).length === 0
            ? ["no node removed or merged (shapes specialised)"]
            : [`${signed(count - before)} nodes`, ...opChanges(prevOps, ops)];
      prevOps = ops;
      return { name: s.name, kind: "graph", nodes: count, kernels: r.unfusedKernels, changes, ops };
    }
    const changes =
      prevPlan === undefined
        ? lowering(nodes, r.unfusedKernels, s.plan)
        : s.stats !== undefined
          ? [
              `arena ${kb(s.stats.peakBytes)} (lower bound ${kb(s.stats.lowerBoundBytes)}, ${kb(s.stats.noReuseBytes)} without reuse)`,
              `${s.stats.inPlace} kernels write in place`,
            ]
          : [`${moved(prevPlan, s.plan)} of ${s.plan.kernels.length} kernels reordered`];
    prevPlan = s.plan;
    return { name: s.name, kind: "plan", nodes, kernels: s.plan.kernels.length, changes };
  });
};
