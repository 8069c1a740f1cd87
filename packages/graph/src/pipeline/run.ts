import * as A from "fp-ts/lib/Array.js";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import type { Graph } from "../graph";
import type { Plan } from "../plan";
import type { PipelineOptions, PlanStep, Stage, StageRecord } from "./stage";
import { validatePlan } from "./validate-plan";

/** Everything a pipeline run produced: every stage's record, the input first. */
export interface PipelineRun {
  readonly stages: readonly StageRecord[];
}

/** How the runner checks a graph when validating (the op table's `validateGraph`; plans need no table). */
export interface RunChecks {
  /** Checks a graph between stages; a Left stops the run. */
  readonly graph?: (g: Graph) => E.Either<LoomError, unknown>;
}

/** One stage applied to the last record: a graph pass or lowering on a graph, a plan pass on a plan. */
const apply = (s: Stage, cur: StageRecord): E.Either<LoomError, StageRecord> => {
  const wrong = (wants: string) =>
    fail<StageRecord>(
      "invalid_argument",
      "pipeline",
      `stage "${s.name}" takes a ${wants} but follows a stage that made a ${cur.kind}; order the list as [graph passes..., lowering, plan passes...]`,
    );
  switch (s.kind) {
    case "lower":
      return cur.kind === "graph"
        ? E.map((plan: Plan): StageRecord => ({ kind: "plan", name: s.name, plan }))(
            s.run(cur.graph),
          )
        : wrong("graph");
    case "plan":
      return cur.kind === "plan"
        ? E.map((r: PlanStep): StageRecord => ({ kind: "plan", name: s.name, ...r }))(
            s.run(cur.plan),
          )
        : wrong("plan");
    default:
      return cur.kind === "graph"
        ? E.map((graph: Graph): StageRecord => ({ kind: "graph", name: s.name, graph }))(
            s.run(cur.graph),
          )
        : wrong("graph");
  }
};

/** The validator of a record's output: the graph check given, or `validatePlan`. */
const check = (r: StageRecord, checks: RunChecks): E.Either<LoomError, StageRecord> =>
  r.kind === "plan"
    ? E.map(() => r)(validatePlan(r.plan))
    : E.map(() => r)(checks.graph?.(r.graph) ?? E.right(r));

/**
 * The pipeline's one runner: applies the stages in order to a graph, skipping those named in
 * `disable` (never a lowering), validating each stage's output when `validate` is on, handing
 * every record to the `sink`, and returning them all (the input is stage `"input"`).
 */
export const runPipeline = (
  stages: readonly Stage[],
  g: Graph,
  opts: PipelineOptions = {},
  checks: RunChecks = {},
): E.Either<LoomError, PipelineRun> => {
  const emit = (r: StageRecord): StageRecord => {
    opts.sink?.stage(r, opts.name);
    return r;
  };
  const step = (
    done: E.Either<LoomError, StageRecord[]>,
    s: Stage,
  ): E.Either<LoomError, StageRecord[]> =>
    pipe(
      done,
      E.chain((records) =>
        s.kind !== "lower" && opts.disable?.includes(s.name)
          ? E.right(records)
          : pipe(
              apply(s, records[records.length - 1]!),
              E.chain((r) => (opts.validate ? check(r, checks) : E.right(r))),
              E.map((r) => [...records, emit(r)]),
            ),
      ),
    );
  const input: StageRecord = { kind: "graph", name: "input", graph: g };
  return pipe(
    A.reduce(E.right<LoomError, StageRecord[]>([emit(input)]), step)([...stages]),
    E.map((records) => ({ stages: records })),
  );
};

/** The plan a run ended with (Left when the list had no lowering). */
export const finalPlan = (run: PipelineRun): E.Either<LoomError, Plan> => {
  const last = run.stages[run.stages.length - 1]!;
  return last.kind === "plan"
    ? E.right(last.plan)
    : fail("invalid_argument", "pipeline", "the pipeline has no lowering stage, so no plan");
};

/** The record of a named stage of a run, if it ran. */
export const stageOf = (run: PipelineRun, name: string): StageRecord | undefined =>
  run.stages.find((s) => s.name === name);
