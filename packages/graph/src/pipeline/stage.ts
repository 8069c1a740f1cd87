import type * as E from "fp-ts/lib/Either.js";
import type { LoomError } from "../error";
import type { FusionOptions } from "../fuse/fuse";
import type { Graph } from "../graph";
import type { MemoryStats } from "../memory/plan-memory";
import type { Plan } from "../plan";

/** A named, pure graph-to-graph pass: the first kind of pipeline stage. */
export interface Pass {
  /** Graph passes may leave it out; it tells them from lowering and plan passes in one list. */
  readonly kind?: "graph";
  readonly name: string;
  /** The pass itself: a new graph, or why the input graph is wrong. */
  readonly run: (g: Graph) => E.Either<LoomError, Graph>;
}

/** The stage that turns the last graph into a plan (fusion, or one kernel per node). */
export interface LowerStage {
  readonly kind: "lower";
  readonly name: string;
  /** Lowers the graph to a plan, or says why it cannot. */
  readonly run: (g: Graph) => E.Either<LoomError, Plan>;
}

/** What a plan pass returns: the new plan and, for memory planning, its statistics. */
export interface PlanStep {
  readonly plan: Plan;
  readonly stats?: MemoryStats;
}

/** A named, pure plan-to-plan pass (scheduling, memory planning). */
export interface PlanPass {
  readonly kind: "plan";
  readonly name: string;
  /** The pass itself: a new plan (and statistics), or why the input plan is wrong. */
  readonly run: (p: Plan) => E.Either<LoomError, PlanStep>;
}

/**
 * One stage of the pipeline. The pipeline is one ordered list `[Pass..., LowerStage,
 * PlanPass...]`; a graph pass may omit `kind` (every `Pass` is one).
 */
export type Stage = Pass | LowerStage | PlanPass;

/** What the runner records after a stage: its graph, or its plan with any memory statistics. */
export type StageRecord =
  | { readonly kind: "graph"; readonly name: string; readonly graph: Graph }
  | {
      readonly kind: "plan";
      readonly name: string;
      readonly plan: Plan;
      readonly stats?: MemoryStats;
    };

/** Sees every stage of a pipeline run as it is recorded (e.g. to dump it to files). */
export interface StageSink {
  /** `run` is the pipeline's `name` option (the compiled function's name), when given. */
  readonly stage: (record: StageRecord, run: string | undefined) => void;
}

/** The one set of options of the pipeline: what to run, what to check, where to dump. */
export interface PipelineOptions extends FusionOptions {
  /** Names of stages to skip (e.g. "simplify", "schedule", "plan-memory"); the lowering cannot be skipped. */
  readonly disable?: readonly string[];
  /** Run the validator of each stage's output before the next stage (tests and `LOOM_DEBUG`). */
  readonly validate?: boolean;
  /** Receives every stage's record (the dump). */
  readonly sink?: StageSink;
  /** Names this run in the sink's records (dump files are named after it). */
  readonly name?: string;
  /** Let kernels write over dying inputs (default true; WebGL turns it off). */
  readonly inPlace?: boolean;
}

/** A lowering stage. */
export const lowerStage = (
  name: string,
  run: (g: Graph) => E.Either<LoomError, Plan>,
): LowerStage => ({ kind: "lower", name, run });

/** A plan pass. */
export const planPass = (
  name: string,
  run: (p: Plan) => E.Either<LoomError, PlanStep>,
): PlanPass => ({ kind: "plan", name, run });
