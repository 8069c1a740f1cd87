/**
 * What the training worker does, apart from the worker itself (so Node tests drive it): it
 * trains with `fit` as the CLI does, keeps the current model, classifies digits, runs the test
 * set, and saves and loads checkpoints. Inference (classifying, testing) runs on the CPU
 * backend whatever trained the model: one digit is too little work for a GPU round trip.
 */
import type { Backend } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Dataset } from "@loom/models/browser";
import {
  activationNames,
  encodeCheckpoint,
  forwardWithActivations,
  runMeta,
  splitValidation,
} from "@loom/models/browser";
import { hostTensor } from "@loom/ops";
import type { FromWorker, TrainConfig, WebBackend } from "../protocol";
import { DIGIT, softmaxRow, testModel } from "./digits";
import { activationImages, firstLayerImages } from "./pictures";
import { readModelFile } from "./read-onnx";
import { badRequest, checkConfig, configProblems, trainingDigits } from "./requests";
import type { Current } from "./train-run";
import { trainRun } from "./train-run";

/** The last training digits, held out to validate every epoch (as `loom train --val-split 1000`). */
export const VALIDATION_DIGITS = 1000;

/** What the worker does with the page's requests. */
export interface Session {
  readonly train: (config: TrainConfig) => Promise<void>;
  readonly stop: () => void;
  readonly classify: (id: number, pixels: Float32Array) => Promise<void>;
  /** Answers with the configuration's problems per form field (`checked`). */
  readonly check: (id: number, config: TrainConfig) => void;
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
  /** The newest whole epoch of the run going on (classifying with it says so). */
  let live: Current | undefined;

  const publish = async (next: Current): Promise<void> => {
    const result = await testModel(cpu, next.layer, next.state, data.test);
    const filters = firstLayerImages(next.state.params);
    current = next;
    post({ kind: "model", info: next.info, test: { ...result, ...(filters ? { filters } : {}) } }, [
      result.predictions.buffer as ArrayBuffer,
      result.confidence.buffer as ArrayBuffer,
      ...(filters ? [filters.data.buffer as ArrayBuffer] : []),
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

  const runOn = async (
    config: TrainConfig,
    train: Dataset,
    backendName: WebBackend,
    signal: AbortSignal,
    from: Current | undefined,
  ) => {
    const { backend, name } = await backendFor(backendName);
    try {
      return await trainRun(config, {
        backend,
        backendName: name,
        train,
        val,
        signal,
        post,
        from,
        // Classify with the newest whole epoch while training goes on.
        onModel: (model) => {
          current = model;
          live = model;
        },
      });
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
      checkConfig(config, train.count, before !== undefined);
      let run;
      try {
        run = await runOn(config, train, config.backend, controller.signal, before);
      } catch (e) {
        // A backend still being written may fail where the CPU does not: say so and carry on.
        if (config.backend !== "webgl" || controller.signal.aborted || isDivergence(e)) throw e;
        post({
          kind: "notice",
          text: `Training on WebGL failed (${messageOf(e)}); training again on the CPU.`,
        });
        current = before;
        run = await runOn(config, train, "cpu", controller.signal, before);
      }
      const { result, model, stepSeconds } = run;
      const steps = result.state.step - (config.resume ? (before?.state.step ?? 0) : 0);
      if (steps > 0) {
        post({ kind: "evaluating" });
        await publish(model);
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
      live = undefined;
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
      const names = activationNames(model.layer, model.state, DIGIT);
      const { logits, activations } = await forwardWithActivations(
        cpu,
        model.layer,
        model.state,
        hostTensor(pixels, [1, ...DIGIT]),
        names,
      );
      const probabilities = softmaxRow(logits.data);
      const layers = names.map((n) => activationImages(n, activations[n]!));
      const by = {
        epoch: model.info.epoch,
        step: model.info.step,
        training: model === live,
      };
      post({ kind: "classified", id, probabilities, layers, by }, [
        probabilities.buffer as ArrayBuffer,
        ...layers.map((l) => l.data.buffer as ArrayBuffer),
      ]);
    } catch (e) {
      post({ kind: "error", during: "classify", message: messageOf(e) });
    }
  };

  const check = (id: number, config: TrainConfig): void => {
    // A bad limit is refused when training starts; the form's fields are checked against all digits.
    const limit = config.limit;
    const count =
      limit !== undefined && Number.isInteger(limit) && limit >= 1
        ? Math.min(limit, pool.count)
        : pool.count;
    post({ kind: "checked", id, problems: configProblems(config, count, current !== undefined) });
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
      const { config, layer, state, seed } = readModelFile(bytes, fileName);
      await publish({
        config,
        layer,
        state,
        seed,
        info: {
          model: config.model,
          source: "loaded",
          epoch: state.epoch,
          step: state.step,
          batchNorm: config.batchNorm,
          ...(config.optimizer === undefined ? {} : { optimizer: config.optimizer }),
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

  return { train, stop: () => running?.abort(), classify, check, save, load };
};
