/**
 * The web app's model in training, as the Inspect view offers it: the model and switches of
 * the worker's current run (or of the model it loaded), so the inspector shows the very graph
 * the worker compiled.
 */
import type { ModelInfo, TrainConfig } from "../protocol";
import type { TrainingSetup } from "./model/setup";

/** The model the worker trains or holds, with what shapes its training step. */
export interface TrainedModel {
  readonly model: string;
  readonly setup: TrainingSetup;
  readonly batchSize: number;
  /** Where it comes from, in words (`training, epoch 2` or `loaded from lenet.safetensors`). */
  readonly from: string;
}

/** The run the worker announced last (its `started` message). */
export interface RunStarted {
  readonly config: TrainConfig;
  readonly stepsPerEpoch: number;
}

/**
 * The app's model in training: that of the last run when there is one, else the loaded model's
 * (trained elsewhere, so its optimizer's default rate and no augmentation), else none.
 */
export const trainedModel = (
  run: RunStarted | undefined,
  info: ModelInfo | undefined,
): TrainedModel | undefined => {
  if (run !== undefined) {
    const c = run.config;
    return {
      model: c.model,
      setup: {
        batchNorm: c.batchNorm,
        optimizer: c.optimizer,
        lr: c.lr,
        schedule: c.schedule,
        augment: c.augment,
        totalSteps: Math.max(1, run.stepsPerEpoch * c.epochs),
      },
      batchSize: c.batchSize,
      from: info?.source === "trained" ? `trained, epoch ${info.epoch}` : "training",
    };
  }
  if (info === undefined) return undefined;
  return {
    model: info.model,
    setup: {
      batchNorm: info.batchNorm ?? false,
      optimizer: info.optimizer ?? "adam",
      lr: 1e-3,
      schedule: "constant",
      augment: "",
      totalSteps: 1,
    },
    batchSize: 64,
    from: `loaded from ${info.fileName ?? "a file"}`,
  };
};
