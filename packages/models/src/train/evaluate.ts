import type { Backend, HostTensor } from "@loom/graph";
import type { CompileOptions } from "@loom/ops";
import { compile, specsOf } from "@loom/ops";
import type { Dataset, Labels } from "../data/dataset";
import { batchOf, labelSpec } from "../data/dataset";
import { checkLabels, classesOf } from "../data/check-labels";
import type { ModelVars } from "./init";
import type { StepSetup } from "./step";
import { evalStep } from "./step";

/** Loss and accuracy of one pass over a dataset. */
export interface Metrics {
  readonly loss: number;
  /** The fraction of examples whose arg-max is the label; NaN for regression targets. */
  readonly accuracy: number;
}

/** The evaluation step compiled for a model's variables and a dataset's example shape. */
export const compileEval = (
  backend: Backend,
  setup: Pick<StepSetup, "model" | "loss">,
  vars: ModelVars,
  data: Pick<Dataset<Labels>, "shape" | "labels" | "labelShape">,
  opts: CompileOptions = {},
) =>
  compile(
    backend,
    evalStep(setup),
    {
      params: specsOf(vars.params),
      state: specsOf(vars.state),
      x: { shape: ["N", ...data.shape] },
      y: { shape: ["N", ...labelSpec(data).shape], dtype: labelSpec(data).dtype },
    },
    { name: "eval-step", ...opts },
  );

/** Runs a compiled evaluation step over a dataset in batches. */
export const runEval = async (
  f: ReturnType<typeof compileEval>,
  vars: ModelVars,
  data: Dataset<Labels>,
  batchSize: number,
): Promise<Metrics> => {
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < data.count; b += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.count - b) }, (_, i) => b + i);
    const { x, y } = batchOf(data, idx);
    const out = await f.run({ params: vars.params, state: vars.state, x, y } as never);
    loss += (out as { lossSum: HostTensor }).lossSum.data[0]!;
    // Regression targets have no `correct` output: their accuracy is NaN.
    correct += (out as { correct?: HostTensor }).correct?.data[0] ?? NaN;
  }
  return { loss: loss / data.count, accuracy: correct / data.count };
};

/**
 * Refuses labels outside [0, classes) before anything runs. Labels are host data here, so a host
 * scan (one pass over an Int32Array) checks them for free; a check op in the graph would cost
 * every step and could only report after the run. The classes are the eval step's logits width.
 */
export const checkDataLabels = (
  op: string,
  step: ReturnType<typeof compileEval>,
  sets: readonly (readonly [string, Dataset<Labels> | undefined])[],
): void => {
  const classes = classesOf(step.traced.graph);
  if (classes === undefined) return;
  for (const [which, data] of sets)
    if (data && data.labels instanceof Int32Array) checkLabels(op, data as Dataset, classes, which);
};

/** Evaluates a model on a dataset in inference mode, in batches; frees its executables after. */
export const evaluate = async (
  backend: Backend,
  setup: Pick<StepSetup, "model" | "loss">,
  vars: ModelVars,
  data: Dataset<Labels>,
  batchSize = 500,
  opts: CompileOptions = {},
): Promise<Metrics> => {
  const f = compileEval(backend, setup, vars, data, opts);
  checkDataLabels("evaluate", f, [["the", data]]);
  try {
    return await runEval(f, vars, data, batchSize);
  } finally {
    f.dispose();
  }
};
