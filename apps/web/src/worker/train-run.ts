/**
 * One training run of the worker: `fit` as `loom train` runs it (batch norm, augmentation and
 * a learning-rate schedule as its switches), from scratch or continuing a model, posting every
 * step and epoch to the page.
 */
import type { Backend } from "@loom/graph";
import type { Dataset, ModelVars, RunConfig, TrainState } from "@loom/models/browser";
import {
  fit,
  getModel,
  initModel,
  makeOptimizer,
  parseAugment,
  parseSchedule,
} from "@loom/models/browser";
import type { nn, Tree } from "@loom/ops";
import { flattenTree, isHostTensor } from "@loom/ops";
import type { HostTensor } from "@loom/graph";
import type { FromWorker, ModelInfo, TrainConfig, WebBackend } from "../protocol";
import { DIGIT } from "./digits";
import { yieldingBackend } from "./yielding-backend";

/** A model the worker holds, trained here or loaded. */
export interface Current {
  readonly config: RunConfig;
  readonly layer: nn.Layer;
  readonly state: TrainState;
  readonly seed: number;
  readonly info: ModelInfo;
}

/** What a run needs besides its configuration. */
export interface RunEnv {
  readonly backend: Backend;
  readonly backendName: WebBackend;
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly signal: AbortSignal;
  readonly post: (message: FromWorker) => void;
  /** Called with the model after every whole epoch (to classify with while training goes on). */
  readonly onModel: (model: Current) => void;
  /** The model to continue, when the configuration says `resume`. */
  readonly from?: Current;
}

/** Two trees with the same paths, shapes and dtypes (an optimizer state that fits another's). */
const sameLayout = (a: Tree<HostTensor>, b: Tree<HostTensor>): boolean => {
  const key = (t: Tree<HostTensor>) =>
    flattenTree(t, isHostTensor, "")
      .map(({ path, leaf }) => `${path}:${leaf.dtype}[${leaf.shape.join(",")}]`)
      .join(" ");
  return key(a) === key(b);
};

/**
 * Where a run starts: fresh variables, or the model to continue. Continuing with the optimizer
 * that trained it (and its state in the file) resumes exactly; another optimizer starts with a
 * fresh state of its own, keeping the epoch and step counts (fine-tuning).
 */
const startOf = async (
  stepper: Backend,
  config: TrainConfig,
  optimizer: ReturnType<typeof makeOptimizer>,
  from: Current | undefined,
): Promise<{ layer: nn.Layer; runConfig: RunConfig; start: ModelVars | TrainState }> => {
  if (from === undefined) {
    const runConfig: RunConfig = {
      model: config.model,
      dropout: 0,
      batchNorm: config.batchNorm,
      optimizer: config.optimizer,
    };
    const { layer } = getModel(config.model, { batchNorm: config.batchNorm });
    const start = await initModel(stepper, layer, config.seed, { shape: ["N", ...DIGIT] });
    return { layer, runConfig, start };
  }
  const fresh = optimizer.init(from.state.params);
  const same = from.config.optimizer === config.optimizer && sameLayout(from.state.optState, fresh);
  return {
    layer: from.layer,
    runConfig: { ...from.config, optimizer: config.optimizer },
    start: same ? from.state : { ...from.state, optState: fresh },
  };
};

/** Runs `fit` for a configuration; returns its result and the model it made of a state. */
export const trainRun = async (config: TrainConfig, env: RunEnv) => {
  const { train, val, post, signal } = env;
  const stepper = yieldingBackend(env.backend);
  const batches = Math.floor(train.count / config.batchSize);
  const from = config.resume ? env.from : undefined;
  const startEpoch = from?.state.epoch ?? 0;
  const startStep = from?.state.step ?? 0;
  // The schedule counts the model's steps, so a continued run goes on where the last one was.
  const optimizer = makeOptimizer(
    config.optimizer,
    parseSchedule(config.schedule, config.lr, startStep + config.epochs * batches),
  );
  const { layer, runConfig, start } = await startOf(stepper, config, optimizer, from);
  post({
    kind: "started",
    config,
    backend: env.backendName,
    trainCount: train.count,
    stepsPerEpoch: batches,
    startEpoch,
    startStep,
  });
  const modelOf = (state: TrainState, stopped: boolean): Current => ({
    config: runConfig,
    layer,
    state,
    seed: config.seed,
    info: {
      model: runConfig.model,
      source: "trained",
      backend: env.backendName,
      epoch: state.epoch,
      step: state.step,
      batchNorm: runConfig.batchNorm,
      optimizer: config.optimizer,
      ...(stopped && state.step > startStep + (state.epoch - startEpoch) * batches
        ? { stoppedInEpoch: state.epoch + 1 }
        : {}),
    },
  });
  let t0: number | undefined;
  let tLast = 0;
  const augment = config.augment.trim() === "" ? undefined : parseAugment(config.augment, DIGIT);
  const result = await fit({
    backend: stepper,
    model: layer,
    optimizer,
    ...(augment ? { augment } : {}),
    train,
    ...(val ? { val } : {}),
    epochs: startEpoch + config.epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    start,
    signal,
    onStep: ({ epoch, batch, loss }) => {
      // The first step includes compiling the step; rates start after it.
      tLast = performance.now();
      t0 ??= tLast;
      post({
        kind: "step",
        step: (epoch - startEpoch) * batches + batch + 1,
        epoch: epoch - startEpoch,
        loss,
        seconds: (tLast - t0) / 1000,
      });
    },
    onEpoch: (report, state) => {
      // The model first: the page may classify as soon as it hears of the epoch.
      env.onModel(modelOf(state, false));
      post({
        kind: "epoch",
        epoch: report.epoch,
        train: report.train,
        ...(report.val ? { val: report.val } : {}),
        seconds: report.seconds,
      });
    },
  });
  return {
    result,
    model: modelOf(result.state, result.aborted),
    stepSeconds: t0 === undefined ? 0 : (tLast - t0) / 1000,
  };
};
