import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type {
  Graph,
  LoomError,
  MemoryStats,
  PipelineOptions,
  PipelineRun,
  Plan,
  Stage,
  StageRecord,
} from "@loom/graph";
import {
  finalPlan,
  inferShapes,
  lowerFused,
  lowerStage,
  lowerUnfused,
  orThrow,
  planMemory,
  planPass,
  runPipeline,
  scheduleForMemory,
  simplify,
  stageOf,
  tryLoom,
  validateGraph,
} from "@loom/graph";
import { primitives } from "./table";

/**
 * The stages of the optimising pipeline, in order, as `compile`, `inspectPipeline`,
 * `loom inspect` and the dump name them ("input" is the traced graph the run starts from).
 */
export const STAGE_NAMES = [
  "input",
  "infer-shapes",
  "simplify",
  "fuse",
  "schedule",
  "plan-memory",
] as const;

/** The optimising stages after shape specialisation: `[simplify, fuse, schedule, plan-memory]`. */
export const optimizingStages = (opts: PipelineOptions = {}): Stage[] => [
  simplify(primitives),
  lowerStage("fuse", (g) => lowerFused(primitives, g, opts)),
  planPass("schedule", (p) => E.right({ plan: scheduleForMemory(p) })),
  planPass("plan-memory", (p) => tryLoom(() => planMemory(p, { inPlace: opts.inPlace ?? true }))),
];

/** The reference stages after shape specialisation: one kernel per node, nothing else. */
export const referenceStages = (): Stage[] => [
  lowerStage("lower", (g) => lowerUnfused(primitives, g)),
];

/** Which list to run: the optimising one (default), the reference one, or a list of one's own. */
export interface StageChoice {
  /** Fuse and plan memory (default true); false runs `referenceStages()`. */
  readonly optimize?: boolean;
  /** The stages after `infer-shapes`, replacing the default list. */
  readonly stages?: readonly Stage[];
}

/** The one pipeline list for a graph and its symbol bindings: `infer-shapes`, then the chosen stages. */
export const pipelineStages = (
  bindings: Readonly<Record<string, number>>,
  opts: PipelineOptions & StageChoice = {},
): Stage[] => [
  inferShapes(primitives, bindings),
  ...(opts.stages ?? (opts.optimize === false ? referenceStages() : optimizingStages(opts))),
];

/** Runs the pipeline list on a graph with the op table's validator between stages (when `validate`). */
export const runStages = (
  g: Graph,
  bindings: Readonly<Record<string, number>>,
  opts: PipelineOptions & StageChoice = {},
): E.Either<LoomError, PipelineRun> =>
  runPipeline(pipelineStages(bindings, opts), g, opts, {
    graph: (x) => validateGraph(primitives, x),
  });

/** Specialises, runs the pipeline and returns the plan a backend compiles. */
export const planGraph = (
  g: Graph,
  bindings: Readonly<Record<string, number>>,
  opts: PipelineOptions & StageChoice = {},
): Plan => orThrow(pipe(runStages(g, bindings, opts), E.chain(finalPlan)));

/** Everything the pipeline produced for one graph, for inspection. */
export interface PipelineReport {
  /** Every stage's record, `input` first. */
  readonly stages: readonly StageRecord[];
  /** The last graph, the one that was lowered. */
  readonly graph: Graph;
  /** The plan straight out of `fuse`. */
  readonly fused: Plan;
  /** The final plan (scheduled and memory-planned unless those stages were disabled). */
  readonly planned: Plan;
  /** What `plan-memory` achieved (absent when it was disabled). */
  readonly memory?: MemoryStats;
  /** Kernels of the last graph lowered one per node, to compare with `fused`. */
  readonly unfusedKernels: number;
}

/**
 * Runs the optimising pipeline on a graph for given symbol bindings and returns every stage:
 * the graphs after each graph pass, the fused plan, the final plan and its memory statistics.
 */
export const inspectPipeline = (
  g: Graph,
  bindings: Readonly<Record<string, number>>,
  opts: PipelineOptions = {},
): PipelineReport => {
  const run = orThrow(runStages(g, bindings, opts));
  const graphs = run.stages.flatMap((s) => (s.kind === "graph" ? [s.graph] : []));
  const graph = graphs[graphs.length - 1]!;
  const fuse = stageOf(run, "fuse");
  const mem = stageOf(run, "plan-memory");
  return {
    stages: run.stages,
    graph,
    fused: (fuse as StageRecord & { kind: "plan" }).plan,
    planned: orThrow(finalPlan(run)),
    ...(mem?.kind === "plan" && mem.stats !== undefined ? { memory: mem.stats } : {}),
    unfusedKernels: orThrow(lowerUnfused(primitives, graph)).kernels.length,
  };
};
