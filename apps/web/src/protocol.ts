/**
 * The messages between the page and the training worker. The worker owns the data, the model
 * and every compiled executable; the page only draws. Typed arrays travel as transferables.
 */
import type { CpuKernelsInfo } from "@loom/backend-cpu";
import type { Metrics } from "@loom/models/browser";

/** The models the app trains (any 1x28x28 model of the registry can be loaded from a file). */
export const WEB_MODELS = ["mlp", "lenet", "vgg-small", "resnet20"] as const;

/** A model the app trains. */
export type WebModel = (typeof WEB_MODELS)[number];

/** A backend the app can train on. */
export type WebBackend = "cpu" | "webgl";

/** What the Train button starts. */
export interface TrainConfig {
  readonly model: WebModel;
  readonly backend: WebBackend;
  readonly optimizer: string;
  readonly lr: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Batch normalisation after hidden layers (`loom train --bn`). */
  readonly batchNorm: boolean;
  /** Data augmentation in the training graph (`loom train --augment`), "" for none. */
  readonly augment: string;
  /** The learning-rate schedule (`loom train --schedule`). */
  readonly schedule: string;
  /** Continue training the current model (fine-tuning) instead of starting from scratch. */
  readonly resume: boolean;
  /** Train on the first `limit` training digits only (a URL option, for quick runs). */
  readonly limit?: number;
}

/** The form's fields a check can refuse, by the config key they set. */
export type ConfigField =
  "lr" | "epochs" | "batchSize" | "optimizer" | "augment" | "schedule" | "model" | "resume";

/** What is wrong with a configuration, per field (empty when it can train). */
export type ConfigProblems = Partial<Record<ConfigField, string>>;

/** What the CPU backend's kernels run on in the worker, and whether the page is cross-origin isolated. */
export interface CpuSupport extends CpuKernelsInfo {
  readonly crossOriginIsolated: boolean;
}

/** Whether the WebGL backend can run in the worker, and if not, why. */
export interface WebglSupport {
  readonly available: boolean;
  readonly reason?: string;
  /** The GPU (or software rasterizer) WebGL draws with, when the browser says. */
  readonly renderer?: string;
  /** The renderer is a software one (SwiftShader, llvmpipe...): the CPU backend is faster. */
  readonly software?: boolean;
}

/** A model the worker holds: trained here or loaded from a file. */
export interface ModelInfo {
  readonly model: string;
  readonly source: "trained" | "loaded";
  /** The backend that trained it, when trained here. */
  readonly backend?: WebBackend;
  /** Epochs completed (a stopped run counts only whole ones). */
  readonly epoch: number;
  readonly step: number;
  /** Set when training stopped part-way through an epoch: that epoch's number (1-based). */
  readonly stoppedInEpoch?: number;
  /** The model's options, for continuing to train it. */
  readonly batchNorm?: boolean;
  readonly optimizer?: string;
  /** The loaded file's name. */
  readonly fileName?: string;
}

/** The model's results on the 2,000 test digits. */
export interface TestResult extends Metrics {
  /** Predicted class per test digit. */
  readonly predictions: Uint8Array;
  /** Probability of the predicted class per test digit. */
  readonly confidence: Float32Array;
  /** The first layer's weights as images (a conv's filters, or an MLP's first units). */
  readonly filters?: FeatureMaps;
}

/** One layer's activations for one digit (or a layer's weights): `channels` maps of `height` x `width`. */
export interface FeatureMaps {
  readonly name: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

/** Page -> worker. */
export type ToWorker =
  | { readonly kind: "init"; readonly assetUrl: string }
  | { readonly kind: "train"; readonly config: TrainConfig }
  | { readonly kind: "stop" }
  | { readonly kind: "classify"; readonly id: number; readonly pixels: Float32Array }
  | { readonly kind: "check"; readonly id: number; readonly config: TrainConfig }
  | { readonly kind: "save" }
  | { readonly kind: "load"; readonly fileName: string; readonly bytes: ArrayBuffer };

/** Worker -> page. */
export type FromWorker =
  | {
      readonly kind: "ready";
      readonly webgl: WebglSupport;
      /** What the CPU backend's kernels run on in the worker. */
      readonly cpu: CpuSupport;
      /** The optimizers offered, each with its default learning rate. */
      readonly optimizers: Readonly<Record<string, number>>;
      readonly sizes: { readonly train: number; readonly val: number; readonly test: number };
      /** The test digits as bytes (2,000 x 784) and their labels, for the grid. */
      readonly testImages: Uint8Array;
      readonly testLabels: Uint8Array;
    }
  | {
      readonly kind: "started";
      readonly config: TrainConfig;
      readonly backend: WebBackend;
      readonly trainCount: number;
      readonly stepsPerEpoch: number;
      /** Epochs and steps the model had before this run (0 unless it continues one). */
      readonly startEpoch: number;
      readonly startStep: number;
    }
  | {
      readonly kind: "step";
      /** Steps of this run so far (1-based). */
      readonly step: number;
      readonly epoch: number;
      readonly loss: number;
      /** Seconds since the first step began (compilation excluded). */
      readonly seconds: number;
    }
  | {
      readonly kind: "epoch";
      readonly epoch: number;
      readonly train: Metrics;
      readonly val?: Metrics;
      readonly seconds: number;
    }
  | { readonly kind: "evaluating" }
  | {
      readonly kind: "finished";
      readonly stopped: boolean;
      readonly steps: number;
      /** From the end of the first step to the end of the last (the rate's denominator). */
      readonly stepSeconds: number;
      /** From the Train request to the end, compiling, validation and testing included. */
      readonly seconds: number;
    }
  | { readonly kind: "model"; readonly info: ModelInfo; readonly test: TestResult }
  | {
      readonly kind: "classified";
      readonly id: number;
      readonly probabilities: Float32Array;
      /** Every activation of the model for this digit, in order. */
      readonly layers: readonly FeatureMaps[];
      /** The model that answered: after which epoch and step, and whether it is still training. */
      readonly by: { readonly epoch: number; readonly step: number; readonly training: boolean };
    }
  | { readonly kind: "checked"; readonly id: number; readonly problems: ConfigProblems }
  | { readonly kind: "saved"; readonly fileName: string; readonly bytes: ArrayBuffer }
  | { readonly kind: "notice"; readonly text: string }
  | {
      readonly kind: "error";
      readonly during: "init" | "train" | "classify" | "save" | "load";
      readonly message: string;
    };
