/**
 * What the training worker does, apart from the worker itself (so Node tests drive it): it
 * trains with `fit` as the CLI does, keeps the current model, classifies digits, runs the test
 * set, and saves and loads checkpoints. Inference (classifying, testing) runs on the CPU
 * backend whatever trained the model: one digit is too little work for a GPU round trip.
 */
import type { Backend } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Dataset, RunConfig, TrainState } from "@loom/models/browser";
import {
  encodeCheckpoint,
  fit,
  forwardWithActivations,
  getModel,
  initModel,
  makeOptimizer,
  runMeta,
  splitValidation,
} from "@loom/models/browser";
import type { nn } from "@loom/ops";
import { hostTensor } from "@loom/ops";
import type { FeatureMaps, FromWorker, ModelInfo, TrainConfig, WebBackend } from "../protocol";
import { DIGIT, featureNameOf, softmaxRow, testModel } from "./digits";
import { readCheckpoint } from "./read-checkpoint";
import { badRequest, checkConfig, trainingDigits } from "./requests";
import { yieldingBackend } from "./yielding-backend";

/** The last training digits, held out to validate every epoch (as `loom train --val-split 1000`). */
export const VALIDATION_DIGITS = 1000;

/** What the worker does with the page's requests. */
export interface Session {
  readonly train: (config: TrainConfig) => Promise<void>;
  readonly stop: () => void;
  readonly classify: (id: number, pixels: Float32Array) => Promise<void>;
  readonly save: () => void;
  readonly load: (fileName: string, bytes: Uint8Array) => Promise<void>;
}

/** What a session needs from its environment. */
export interface SessionOptions {
  /** The fixed 8,000/2,000 split of `splitMnist`. */
  readonly data: { readonly train: Dataset; readonly test: Dataset };
  readonly post: (message: FromWorker, transfer?: Transferable[]) => void;
  /** A backend by name; may throw (WebGL missing), which falls back to the CPU with a notice. */
  readonly makeBackend: (name: WebBackend) => Promise<Backend>;
}

interface Current {
  readonly config: RunConfig;
  readonly layer: nn.Layer;
  readonly state: TrainState;
  readonly seed: number;
  readonly info: ModelInfo;
  /** The activation shown as feature maps, when the model has a convolutional one. */
  readonly featureName?: string;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A diverged run fails the same way on every backend: no point retrying it on the CPU. */
const isDivergence = (e: unknown): boolean => e instanceof LoomError && e.code === "non_finite";

/** A session over the given data. */
export const createSession = (opts: SessionOptions): Session => {
  const { data, post } = opts;
  const cpu = cpuBackend();
  const { train: pool, val } = splitValidation(data.train, VALIDATION_DIGITS);
  let current: Current | undefined;
  let running: AbortController | undefined;

  const publish = async (next: Current): Promise<void> => {
    const result = await testModel(cpu, next.layer, next.state, data.test);
    current = next;
    post({ kind: "model", info: next.info, test: result }, [
      result.predictions.buffer as ArrayBuffer,
      result.confidence.buffer as ArrayBuffer,
    ]);
  };

  const backendFor = async (name: WebBackend): Promise<{ backend: Backend; name: WebBackend }> => {
    try {
      return { backend: await opts.makeBackend(name), name };
    } catch (e) {
      if (name === "cpu") throw e;
      post({
        kind: "notice",
        text: `The WebGL backend is not available here (${messageOf(e)}); training on the CPU instead.`,
      });
      return { backend: await opts.makeBackend("cpu"), name: "cpu" };
    }
  };

  const runFit = async (
    config: TrainConfig,
    train: Dataset,
    backendName: WebBackend,
    signal: AbortSignal,
  ) => {
    const { backend, name } = await backendFor(backendName);
    try {
      const stepper = yieldingBackend(backend);
      const { layer } = getModel(config.model);
      const runConfig: RunConfig = {
        model: config.model,
        dropout: 0,
        batchNorm: false,
        optimizer: config.optimizer,
      };
      const start = await initModel(stepper, layer, config.seed, { shape: ["N", ...DIGIT] });
      const batches = Math.floor(train.count / config.batchSize);
      post({
        kind: "started",
        config,
        backend: name,
        trainCount: train.count,
        stepsPerEpoch: batches,
      });
      const featureName = featureNameOf(layer, start);
      const trained = (state: TrainState): Current => ({
        config: runConfig,
        layer,
        state,
        seed: config.seed,
        featureName,
        info: {
          model: config.model,
          source: "trained",
          backend: name,
          epoch: state.epoch,
          step: state.step,
        },
      });
      let t0: number | undefined;
      let tLast = 0;
      const result = await fit({
        backend: stepper,
        model: layer,
        optimizer: makeOptimizer(config.optimizer, config.lr),
        train,
        val,
        epochs: config.epochs,
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
            step: epoch * batches + batch + 1,
            epoch,
            loss,
            seconds: (tLast - t0) / 1000,
          });
        },
        onEpoch: (report, state) => {
          post({
            kind: "epoch",
            epoch: report.epoch,
            train: report.train,
            ...(report.val ? { val: report.val } : {}),
            seconds: report.seconds,
          });
          // Classify with the newest whole epoch while training goes on.
          current = trained(state);
        },
      });
      return { result, trained, stepSeconds: t0 === undefined ? 0 : (tLast - t0) / 1000 };
    } finally {
      backend.dispose();
    }
  };

  const train = async (config: TrainConfig): Promise<void> => {
    if (running) {
      post({ kind: "error", during: "train", message: "Training is already running." });
      return;
    }
    const controller = new AbortController();
    running = controller;
    const before = current;
    const started = performance.now();
    try {
      const train = trainingDigits(pool, config.limit);
      checkConfig(config, train.count);
      let run;
      try {
        run = await runFit(config, train, config.backend, controller.signal);
      } catch (e) {
        // A backend still being written may fail where the CPU does not: say so and carry on.
        if (config.backend !== "webgl" || controller.signal.aborted || isDivergence(e)) throw e;
        post({
          kind: "notice",
          text: `Training on WebGL failed (${messageOf(e)}); training again on the CPU.`,
        });
        run = await runFit(config, train, "cpu", controller.signal);
      }
      const { result, trained, stepSeconds } = run;
      const steps = result.state.step;
      if (steps > 0) {
        post({ kind: "evaluating" });
        await publish(trained(result.state));
      }
      const seconds = (performance.now() - started) / 1000;
      post({ kind: "finished", stopped: result.aborted, steps, stepSeconds, seconds });
    } catch (e) {
      post({ kind: "error", during: "train", message: messageOf(e) });
      // A run that failed after whole epochs (diverged) leaves its last good epoch as the model.
      if (current !== undefined && current !== before) {
        await publish(current).catch((err: unknown) =>
          post({ kind: "error", during: "train", message: messageOf(err) }),
        );
      }
    } finally {
      running = undefined;
    }
  };

  const classify = async (id: number, pixels: Float32Array): Promise<void> => {
    const model = current;
    if (model === undefined) {
      post({
        kind: "error",
        during: "classify",
        message: "No model yet: train one or load a .safetensors file.",
      });
      return;
    }
    try {
      if (pixels.length !== 784) throw badRequest(`a digit is 784 pixels, got ${pixels.length}`);
      const names = model.featureName === undefined ? [] : [model.featureName];
      const { logits, activations } = await forwardWithActivations(
        cpu,
        model.layer,
        model.state,
        hostTensor(pixels, [1, ...DIGIT]),
        names,
      );
      const probabilities = softmaxRow(logits.data);
      const act = model.featureName === undefined ? undefined : activations[model.featureName];
      const features: FeatureMaps | undefined =
        act !== undefined && act.shape.length === 4
          ? {
              name: model.featureName!,
              channels: act.shape[1]!,
              height: act.shape[2]!,
              width: act.shape[3]!,
              data: Float32Array.from(act.data),
            }
          : undefined;
      post({ kind: "classified", id, probabilities, ...(features ? { features } : {}) }, [
        probabilities.buffer as ArrayBuffer,
        ...(features ? [features.data.buffer as ArrayBuffer] : []),
      ]);
    } catch (e) {
      post({ kind: "error", during: "classify", message: messageOf(e) });
    }
  };

  const save = (): void => {
    const model = current;
    if (model === undefined) {
      post({ kind: "error", during: "save", message: "No model to save yet." });
      return;
    }
    try {
      const { state, config, seed } = model;
      const bytes = encodeCheckpoint({
        params: state.params,
        state: state.state,
        optState: state.optState,
        step: state.step,
        meta: runMeta(config, state.epoch, seed),
      });
      const fileName = `loom-${config.model}-epoch${state.epoch}-step${state.step}.safetensors`;
      const buffer = bytes.slice().buffer as ArrayBuffer;
      post({ kind: "saved", fileName, bytes: buffer }, [buffer]);
    } catch (e) {
      post({ kind: "error", during: "save", message: messageOf(e) });
    }
  };

  const load = async (fileName: string, bytes: Uint8Array): Promise<void> => {
    if (running) {
      post({ kind: "error", during: "load", message: "Stop training before loading a model." });
      return;
    }
    try {
      // Everything is checked before anything changes: a bad file leaves the current model.
      const { config, layer, state, seed } = readCheckpoint(bytes, fileName);
      await publish({
        config,
        layer,
        state,
        seed,
        featureName: featureNameOf(layer, state),
        info: {
          model: config.model,
          source: "loaded",
          epoch: state.epoch,
          step: state.step,
          fileName,
        },
      });
    } catch (e) {
      post({
        kind: "error",
        during: "load",
        message: `Could not load ${fileName}: ${messageOf(e)}`,
      });
    }
  };

  return { train, stop: () => running?.abort(), classify, save, load };
};
