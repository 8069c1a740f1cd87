import * as E from "fp-ts/lib/Either.js";
import type {
  FusionOptions,
  Graph,
  LoomError,
  MemoryStats,
  Pass,
  Plan,
  StageRecord,
} from "@loom/graph";
import {
  inferShapes,
  lowerFused,
  lowerUnfused,
  orThrow,
  planMemory,
  runPasses,
  scheduleForMemory,
  simplify,
} from "@loom/graph";
import { primitives } from "./table";

/** Switches of the optimising pipeline; every pass can be turned off by name. */
export interface PipelineOptions extends FusionOptions {
  /** Names of graph passes to skip (e.g. "simplify"). */
  readonly disable?: readonly string[];
  /** Plan memory (an arena with reuse and in-place updates; default true). */
  readonly planMemory?: boolean;
  /** Let kernels write into an input that dies there (default true; WebGL turns it off). */
  readonly inPlace?: boolean;
  /** Reorder kernels so buffers die sooner (`scheduleForMemory`; default true). */
  readonly schedule?: boolean;
  /** Sees every stage: graph passes and the fused and planned plans. */
  readonly onStage?: (stage: StageRecord) => void;
  readonly onPlan?: (name: "fused" | "planned", plan: Plan, stats?: MemoryStats) => void;
}

/** The graph passes run after shape specialisation, in order. */
export const graphPasses = (): Pass[] => [simplify(primitives)];

/** Lowers a specialised graph to an executable plan: fusion, then memory planning. */
export const optimizingLower =
  (opts: PipelineOptions = {}) =>
  (g: Graph): E.Either<LoomError, Plan> =>
    E.map((fused: Plan) => {
      opts.onPlan?.("fused", fused);
      if (opts.planMemory === false) return fused;
      const ordered = opts.schedule === false ? fused : scheduleForMemory(fused);
      const { plan, stats } = planMemory(ordered, { inPlace: opts.inPlace ?? true });
      opts.onPlan?.("planned", plan, stats);
      return plan;
    })(lowerFused(primitives, g, opts));

/** Everything the pipeline produced for one graph, for inspection. */
export interface PipelineReport {
  readonly stages: readonly StageRecord[];
  readonly fused: Plan;
  readonly planned: Plan;
  readonly memory: MemoryStats;
  readonly unfusedKernels: number;
}

/**
 * Runs the whole pipeline on a graph for given symbol bindings and returns every stage:
 * the graphs after each pass, the fused plan and the memory-planned plan with its statistics.
 */
export const inspectPipeline = (
  g: Graph,
  bindings: Readonly<Record<string, number>>,
  opts: PipelineOptions = {},
): PipelineReport => {
  const stages = orThrow(
    runPasses([inferShapes(primitives, bindings), ...graphPasses()], g, {
      disable: opts.disable,
      onStage: opts.onStage,
    }),
  );
  const last = stages[stages.length - 1]!.graph;
  let fused: Plan | undefined;
  let memory: MemoryStats | undefined;
  const planned = orThrow(
    optimizingLower({
      ...opts,
      onPlan: (name, p, stats) => {
        if (name === "fused") fused = p;
        else memory = stats;
        opts.onPlan?.(name, p, stats);
      },
    })(last),
  );
  const unfusedKernels = orThrow(lowerUnfused(primitives, last)).kernels.length;
  return { stages, fused: fused!, planned, memory: memory!, unfusedKernels };
};
