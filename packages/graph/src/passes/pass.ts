import * as E from "fp-ts/lib/Either.js";
import type { LoomError } from "../error";
import type { Graph } from "../graph";

/** A named, pure graph-to-graph pass. */
export interface Pass {
  readonly name: string;
  readonly run: (g: Graph) => E.Either<LoomError, Graph>;
}

/** What a pipeline run records per stage, for inspection. */
export interface StageRecord {
  readonly name: string;
  readonly graph: Graph;
}

/** Options of a pipeline run. */
export interface PipelineOptions {
  /** Names of passes to skip. */
  readonly disable?: readonly string[];
  /** Runs after each pass (e.g. the validator, in tests and debug mode); a Left stops the pipeline. */
  readonly check?: (g: Graph, after: string) => E.Either<LoomError, Graph>;
  /** Sees every stage (e.g. to dump it). */
  readonly onStage?: (stage: StageRecord) => void;
}

/**
 * Runs passes in order. Returns every stage's graph (the input is stage `"input"`), so that a
 * user can see what each pass did.
 */
export const runPasses = (
  passes: readonly Pass[],
  g: Graph,
  opts: PipelineOptions = {},
): E.Either<LoomError, StageRecord[]> => {
  const stages: StageRecord[] = [{ name: "input", graph: g }];
  opts.onStage?.(stages[0]!);
  let cur = g;
  for (const p of passes) {
    if (opts.disable?.includes(p.name)) continue;
    const r = p.run(cur);
    if (E.isLeft(r)) return r;
    const checked = opts.check ? opts.check(r.right, p.name) : r;
    if (E.isLeft(checked)) return checked;
    cur = checked.right;
    const stage = { name: p.name, graph: cur };
    stages.push(stage);
    opts.onStage?.(stage);
  }
  return E.right(stages);
};
