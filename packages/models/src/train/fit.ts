import type { Backend, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { CompileOptions, Tree } from "@loom/ops";
import { compile, flattenTree, hostTensor, isHostTensor, key as makeKey } from "@loom/ops";
import type { Dataset } from "../data/dataset";
import { batchOf } from "../data/dataset";
import { checkLabels, classesOf } from "../data/check-labels";
import type { ModelVars } from "./init";
import { epochPermutation } from "./shuffle";
import type { StepSetup } from "./step";
import { evalStep, specsOf, trainStep } from "./step";

/** Loss and accuracy of one pass over a dataset. */
export interface Metrics {
  readonly loss: number;
  readonly accuracy: number;
}

/** What `fit` reports after every epoch. */
export interface EpochReport {
  readonly epoch: number;
  readonly train: Metrics;
  readonly val?: Metrics;
  readonly seconds: number;
  readonly steps: number;
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainState extends ModelVars {
  /** The optimizer state (`optimizer.init`'s tree), as checkpoints name it. */
  readonly optState: Tree<HostTensor>;
  /** Epochs completed. */
  readonly epoch: number;
  /** Optimizer steps taken. */
  readonly step: number;
}

/** Options of `fit`. */
export interface FitOptions extends StepSetup {
  readonly backend: Backend;
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Where to start: fresh variables (epoch 0) or a resumed state. */
  readonly start: ModelVars | TrainState;
  /** Stop when the validation loss has not improved by `minDelta` for `patience` epochs, restoring the best variables. */
  readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
  /** The order of an epoch's examples (default: a keyed shuffle); class-balanced sampling plugs in here. */
  readonly order?: (epoch: number, n: number) => Int32Array;
  /** Called after every training step with its batch's loss (for progress bars). */
  readonly onStep?: (info: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Called after every epoch with the state to checkpoint (never with a non-finite loss). */
  readonly onEpoch?: (report: EpochReport, state: TrainState) => void | Promise<void>;
  /** Stops after the step during which it is aborted (a Stop button); `fit` returns the state reached. */
  readonly signal?: AbortSignal;
  /** Pipeline options of the compiled steps (validation, a dump sink); they are named "train-step" and "eval-step". */
  readonly pipeline?: CompileOptions;
}

/** The outcome of `fit`. */
export interface FitResult {
  readonly state: TrainState;
  readonly history: readonly EpochReport[];
  readonly stoppedEarly: boolean;
  readonly bestEpoch: number;
  /** `signal` was aborted: `state` is where training stopped, mid-epoch (its `epoch` counts completed epochs). */
  readonly aborted: boolean;
}

const isTrainState = (s: ModelVars | TrainState): s is TrainState =>
  "optState" in s && "epoch" in s;

/** The first NaN or Inf in a state's float tensors, as `path[i] is value`, or undefined. */
const firstNonFinite = (s: TrainState): string | undefined => {
  const trees = [
    ["params", s.params],
    ["state", s.state],
    ["optState", s.optState],
  ] as const;
  for (const [name, tree] of trees) {
    for (const { path, leaf } of flattenTree(tree, isHostTensor, name)) {
      if (leaf.dtype !== "float32" && leaf.dtype !== "float64") continue;
      const i = leaf.data.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) return `${path}[${i}] is ${leaf.data[i]}`;
    }
  }
  return undefined;
};

/** The evaluation step compiled for a model's variables and a dataset's example shape. */
const compileEval = (
  backend: Backend,
  setup: Pick<StepSetup, "model" | "loss">,
  vars: ModelVars,
  shape: readonly number[],
  opts: CompileOptions = {},
) =>
  compile(
    backend,
    evalStep(setup),
    {
      params: specsOf(vars.params),
      state: specsOf(vars.state),
      x: { shape: ["N", ...shape] },
      y: { shape: ["N"], dtype: "int32" },
    },
    { name: "eval-step", ...opts },
  );

/** Runs a compiled evaluation step over a dataset in batches. */
const runEval = async (
  f: ReturnType<typeof compileEval>,
  vars: ModelVars,
  data: Dataset,
  batchSize: number,
): Promise<Metrics> => {
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < data.count; b += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.count - b) }, (_, i) => b + i);
    const { x, y } = batchOf(data, idx);
    const out = await f.run({ params: vars.params, state: vars.state, x, y } as never);
    loss += (out as { lossSum: HostTensor }).lossSum.data[0]!;
    correct += (out as { correct: HostTensor }).correct.data[0]!;
  }
  return { loss: loss / data.count, accuracy: correct / data.count };
};

/**
 * Refuses labels outside [0, classes) before anything runs. Labels are host data here, so a host
 * scan (one pass over an Int32Array) checks them for free; a check op in the graph would cost
 * every step and could only report after the run. The classes are the eval step's logits width.
 */
const checkDataLabels = (
  op: string,
  step: ReturnType<typeof compileEval>,
  sets: readonly (readonly [string, Dataset | undefined])[],
): void => {
  const classes = classesOf(step.traced.graph);
  if (classes === undefined) return;
  for (const [which, data] of sets) if (data) checkLabels(op, data, classes, which);
};

/** Evaluates a model on a dataset in inference mode, in batches; frees its executables after. */
export const evaluate = async (
  backend: Backend,
  setup: Pick<StepSetup, "model" | "loss">,
  vars: ModelVars,
  data: Dataset,
  batchSize = 500,
  opts: CompileOptions = {},
): Promise<Metrics> => {
  const f = compileEval(backend, setup, vars, data.shape, opts);
  checkDataLabels("evaluate", f, [["the", data]]);
  try {
    return await runEval(f, vars, data, batchSize);
  } finally {
    f.dispose();
  }
};

/**
 * Mini-batch training: a keyed shuffle every epoch, one compiled training step for every
 * batch (the last partial batch is dropped, so batch statistics never come from a handful of
 * examples), training and validation metrics per epoch, early stopping on the validation
 * loss, and a guard that stops with a LoomError at the first non-finite loss.
 */
export const fit = async (opts: FitOptions): Promise<FitResult> => {
  const { backend, train, batchSize, seed } = opts;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= train.count)) {
    throw new LoomError(
      "invalid_argument",
      "fit",
      `batch size must be an integer in [1, ${train.count}], got ${batchSize}`,
    );
  }
  let state: TrainState = isTrainState(opts.start)
    ? opts.start
    : { ...opts.start, optState: opts.optimizer.init(opts.start.params), epoch: 0, step: 0 };
  const step = compile(
    backend,
    trainStep(opts),
    {
      params: specsOf(state.params),
      state: specsOf(state.state),
      optState: specsOf(state.optState),
      x: { shape: [batchSize, ...train.shape] },
      y: { shape: [batchSize], dtype: "int32" },
      key: { shape: [2], dtype: "int32" },
      step: { shape: [], dtype: "int32" },
    },
    { name: "train-step", ...opts.pipeline },
  );
  // One evaluation step for the whole run, freed with the training step at the end: compiling
  // it per epoch would compile it again every epoch, since dispose frees what it compiled.
  const evalFn = opts.val && compileEval(backend, opts, state, opts.val.shape, opts.pipeline);
  // Traced only (nothing compiles until a run): the model's logits width for the label check.
  checkDataLabels("fit", evalFn ?? compileEval(backend, opts, state, train.shape, opts.pipeline), [
    ["training", train],
    ["validation", opts.val],
  ]);
  const dropoutKey = makeKey(seed);
  const batches = Math.floor(train.count / batchSize);
  const history: EpochReport[] = [];
  let best = { loss: Infinity, epoch: state.epoch, state };
  let stoppedEarly = false;
  let aborted = opts.signal?.aborted ?? false;
  try {
    while (!aborted && state.epoch < opts.epochs) {
      const t0 = performance.now();
      const order = (opts.order ?? ((e, n) => epochPermutation(seed, e, n)))(
        state.epoch,
        train.count,
      );
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        const { x, y } = batchOf(train, order.subarray(b * batchSize, (b + 1) * batchSize));
        const out = (await step.run({
          params: state.params,
          state: state.state,
          optState: state.optState,
          x,
          y,
          key: dropoutKey,
          step: hostTensor([state.step], [], "int32"),
        } as never)) as unknown as {
          params: Tree<HostTensor>;
          state: Tree<HostTensor>;
          optState: Tree<HostTensor>;
          loss: HostTensor;
          correct: HostTensor;
        };
        const loss = out.loss.data[0]!;
        if (!Number.isFinite(loss)) {
          throw new LoomError(
            "non_finite",
            "fit",
            `the loss became ${loss} at epoch ${state.epoch + 1}, batch ${b + 1}: training diverged; lower the learning rate or clip gradients (the last good state is kept, nothing was saved from this epoch)`,
          );
        }
        lossSum += loss;
        correct += out.correct.data[0]!;
        state = {
          params: out.params,
          state: out.state,
          optState: out.optState,
          epoch: state.epoch,
          step: state.step + 1,
        };
        opts.onStep?.({ epoch: state.epoch, batch: b, batches, loss });
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
      }
      // The loss of a step is computed before its update, so an update that overflows shows only
      // here: check before anyone (onEpoch, a checkpoint, the caller) sees the state.
      const bad = firstNonFinite(state);
      if (bad !== undefined) {
        throw new LoomError(
          "non_finite",
          "fit",
          `${bad} after epoch ${state.epoch + 1}: training diverged; lower the learning rate or clip gradients (the last good state is kept, nothing was saved from this epoch)`,
        );
      }
      if (aborted) break;
      state = { ...state, epoch: state.epoch + 1 };
      const val = opts.val && evalFn && (await runEval(evalFn, state, opts.val, 500));
      const report: EpochReport = {
        epoch: state.epoch,
        train: { loss: lossSum / batches, accuracy: correct / (batches * batchSize) },
        ...(val ? { val } : {}),
        seconds: (performance.now() - t0) / 1000,
        steps: batches,
      };
      history.push(report);
      await opts.onEpoch?.(report, state);
      if (opts.earlyStopping && val) {
        if (val.loss < best.loss - (opts.earlyStopping.minDelta ?? 0))
          best = { loss: val.loss, epoch: state.epoch, state };
        else if (state.epoch - best.epoch >= opts.earlyStopping.patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
  } finally {
    step.dispose();
    evalFn?.dispose();
  }
  const restored = stoppedEarly ? best.state : state;
  return {
    state: restored,
    history,
    stoppedEarly,
    bestEpoch: stoppedEarly ? best.epoch : state.epoch,
    aborted,
  };
};
