import type { Backend, DeviceTensor, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { CompileOptions, HostsOf, Tree, nn, optim } from "@loom/ops";
import {
  compile,
  disposeTree,
  flattenTree,
  hostTensor,
  isHostTensor,
  key as makeKey,
  specsOf,
  toDevice,
  toHost,
} from "@loom/ops";
import type { Dataset, Labels } from "../data/dataset";
import { batchOf, labelSpec } from "../data/dataset";
import type { EarlyStopping } from "./early-stopping";
import { earlyStoppingWarning } from "./early-stopping";
import type { Metrics } from "./evaluate";
import { checkDataLabels, compileEval, runEval } from "./evaluate";
import type { ModelVars } from "./init";
import { epochPermutation } from "./shuffle";
import type { StepSetup } from "./step";
import { trainStep } from "./step";

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

/**
 * A `TrainState` typed after its model's layers (what `fit` returns): `state.params.fc.w` is a
 * host tensor with no cast, and the state goes back to `fit`, `predict` or `saveCheckpoint` as is.
 */
export interface TypedTrainState<P extends nn.Vars, S extends nn.Vars> extends TrainState {
  readonly params: HostsOf<P>;
  readonly state: HostsOf<S>;
}

/** How long a `fit` run is, in optimizer steps: what a schedule counted in steps needs. */
export interface TrainingLength {
  /** Steps per epoch: the number of whole batches. */
  readonly stepsPerEpoch: number;
  /** Steps of the whole run (`epochs` times `stepsPerEpoch`, counting from step 0). */
  readonly totalSteps: number;
}

/** Options of `fit`. */
export interface FitOptions extends Omit<StepSetup, "optimizer"> {
  readonly backend: Backend;
  /**
   * The optimizer, or a function of the run's length that makes it: `fit` counts the steps, so a
   * schedule over the whole run is `({ totalSteps }) => optim.adam(optim.cosineDecay(1e-3, totalSteps))`.
   * Schedules see the optimizer's own step counter, which `fit` carries across epochs and resumes.
   */
  readonly optimizer:
    optim.GradientTransformation | ((length: TrainingLength) => optim.GradientTransformation);
  /** Class labels (Int32Array) train with cross-entropy by default; float targets need a `loss`. */
  readonly train: Dataset<Labels>;
  readonly val?: Dataset<Labels>;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Where to start: fresh variables (epoch 0) or a resumed state. */
  readonly start: ModelVars | TrainState;
  /**
   * Stop when the validation loss has not improved by `minDelta` for `patience` epochs, restoring
   * the best variables. It needs `val` and more epochs than `patience`; otherwise `fit` warns
   * (`onLog`, and `earlyStoppingInactive` in the result).
   */
  readonly earlyStopping?: EarlyStopping;
  /** Receives `fit`'s warnings (an early stopping that cannot trigger), e.g. `console.warn`. */
  readonly onLog?: (message: string) => void;
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
  /** `earlyStopping` was given but could not trigger in this run (no validation data, or too few epochs). */
  readonly earlyStoppingInactive: boolean;
  /** The warnings also sent to `onLog`. */
  readonly warnings: readonly string[];
}

/** A `FitResult` whose final variables keep the model's tree types (`result.state.params.fc.w`). */
export interface TypedFitResult<P extends nn.Vars, S extends nn.Vars> extends FitResult {
  readonly state: TypedTrainState<P, S>;
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

/** The variables a training step threads from one call to the next, left on the backend's device. */
type DeviceVars = {
  readonly params: Tree<DeviceTensor>;
  readonly state: Tree<DeviceTensor>;
  readonly optState: Tree<DeviceTensor>;
};

const onDevice = (backend: Backend, s: TrainState): DeviceVars => ({
  params: toDevice(backend, s.params),
  state: toDevice(backend, s.state),
  optState: toDevice(backend, s.optState),
});

/** The device variables read back into a training state (all reads at once). */
const onHost = async (v: DeviceVars, epoch: number, step: number): Promise<TrainState> => {
  const [params, state, optState] = await Promise.all([
    toHost(v.params),
    toHost(v.state),
    toHost(v.optState),
  ]);
  return { params, state, optState, epoch, step } as TrainState;
};

/** Throws a LoomError unless `batchSize` is a whole number of examples in [1, `count`] (fit's rule; forms check with it too). */
export const checkBatchSize = (op: string, batchSize: number, count: number): void => {
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= count)) {
    throw new LoomError(
      "invalid_argument",
      op,
      `batch size must be an integer in [1, ${count}], got ${batchSize}`,
    );
  }
};

/** `fit`'s run, untyped: `fit` below gives its result the model's tree types. */
const fitRun = async (opts: FitOptions): Promise<FitResult> => {
  const { backend, train, batchSize, seed } = opts;
  checkBatchSize("fit", batchSize, train.count);
  const batches = Math.floor(train.count / batchSize);
  const optimizer =
    typeof opts.optimizer === "function"
      ? opts.optimizer({ stepsPerEpoch: batches, totalSteps: batches * opts.epochs })
      : opts.optimizer;
  const setup = { ...opts, optimizer };
  let state: TrainState = isTrainState(opts.start)
    ? opts.start
    : { ...opts.start, optState: optimizer.init(opts.start.params), epoch: 0, step: 0 };
  const warnings = [
    earlyStoppingWarning(opts.earlyStopping, opts.val, opts.epochs - state.epoch),
  ].filter((w) => w !== undefined);
  warnings.forEach((w) => opts.onLog?.(w));
  const label = labelSpec(train);
  const step = compile(
    backend,
    trainStep(setup),
    {
      params: specsOf(state.params),
      state: specsOf(state.state),
      optState: specsOf(state.optState),
      x: { shape: [batchSize, ...train.shape] },
      y: { shape: [batchSize, ...label.shape], dtype: label.dtype },
      key: { shape: [2], dtype: "int32" },
      step: { shape: [], dtype: "int32" },
    },
    { name: "train-step", ...opts.pipeline },
  );
  // One evaluation step for the whole run, freed with the training step at the end: compiling
  // it per epoch would compile it again every epoch, since dispose frees what it compiled.
  const evalFn = opts.val && compileEval(backend, setup, state, opts.val, opts.pipeline);
  // Traced only (nothing compiles until a run): the model's logits width for the label check.
  checkDataLabels("fit", evalFn ?? compileEval(backend, setup, state, train, opts.pipeline), [
    ["training", train],
    ["validation", opts.val],
  ]);
  // The variables stay on the backend's device between steps (a WebGL texture each): a step
  // uploads its batch and reads back its loss, nothing else; they come back to the host at the
  // end of an epoch (metrics, onEpoch's checkpoint) or of the run.
  let vars: DeviceVars | undefined;
  const dropoutKey = makeKey(seed);
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
      vars ??= onDevice(backend, state);
      let stepCount = state.step;
      for (let b = 0; b < batches; b++) {
        const { x, y } = batchOf(train, order.subarray(b * batchSize, (b + 1) * batchSize));
        const out = (await step.runResident({
          ...vars,
          x,
          y,
          key: dropoutKey,
          step: hostTensor([stepCount], [], "int32"),
        } as never)) as unknown as DeviceVars & {
          loss: DeviceTensor;
          correct?: DeviceTensor;
        };
        disposeTree(vars);
        vars = { params: out.params, state: out.state, optState: out.optState };
        // The loss and the count of correct predictions are read together: one wait per step.
        const [lossT, correctT] = await Promise.all([out.loss.read(), out.correct?.read()]).finally(
          () => {
            out.loss.dispose();
            out.correct?.dispose();
          },
        );
        const loss = lossT.data[0]!;
        if (!Number.isFinite(loss)) {
          throw new LoomError(
            "non_finite",
            "fit",
            `the loss became ${loss} at epoch ${state.epoch + 1}, batch ${b + 1}: training diverged; lower the learning rate or clip gradients (the last good state is kept, nothing was saved from this epoch)`,
          );
        }
        lossSum += loss;
        // Regression targets have no `correct` output: the epoch's accuracy is NaN.
        correct += correctT?.data[0] ?? NaN;
        stepCount++;
        opts.onStep?.({ epoch: state.epoch, batch: b, batches, loss });
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
      }
      state = await onHost(vars, state.epoch, stepCount);
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
    if (vars !== undefined) disposeTree(vars);
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
    earlyStoppingInactive: opts.earlyStopping !== undefined && warnings.length > 0,
    warnings,
  };
};

/**
 * Mini-batch training: a keyed shuffle every epoch, one compiled training step for every
 * batch (the last partial batch is dropped, so batch statistics never come from a handful of
 * examples), training and validation metrics per epoch, early stopping on the validation
 * loss, and a guard that stops with a LoomError at the first non-finite loss. The result's
 * variables are typed after the model (`result.state.params.fc.w`).
 */
export const fit = <P extends nn.Vars, S extends nn.Vars>(
  opts: FitOptions & { readonly model: nn.Layer<P, S> },
): Promise<TypedFitResult<P, S>> =>
  // The run threads the trees it was given; only their static types were lost on the way.
  fitRun(opts) as Promise<TypedFitResult<P, S>>;
