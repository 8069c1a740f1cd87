import * as E from "fp-ts/lib/Either.js";
import type { LoomError } from "../error";
import type { Graph } from "../graph";
import type { PipelineRun } from "../pipeline/run";
import { runPipeline } from "../pipeline/run";
import type { Pass } from "../pipeline/stage";

export type { Pass } from "../pipeline/stage";

/** What `runPasses` records per pass. */
export interface PassRecord {
  readonly name: string;
  readonly graph: Graph;
}

/**
 * Runs graph passes alone through the pipeline's runner (`runPipeline`), skipping those named
 * in `disable` and running `check` (e.g. the validator) after each. Returns every stage's
 * graph, the input first as stage `"input"`.
 */
export const runPasses = (
  passes: readonly Pass[],
  g: Graph,
  opts: {
    readonly disable?: readonly string[];
    readonly check?: (g: Graph) => E.Either<LoomError, unknown>;
  } = {},
): E.Either<LoomError, PassRecord[]> =>
  E.map((run: PipelineRun) =>
    run.stages.flatMap((s) => (s.kind === "graph" ? [{ name: s.name, graph: s.graph }] : [])),
  )(
    runPipeline(
      passes,
      g,
      { disable: opts.disable, validate: opts.check !== undefined },
      { graph: opts.check },
    ),
  );
