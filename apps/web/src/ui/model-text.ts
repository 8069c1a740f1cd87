/** The words the page uses for a model and how far it was trained. */
import type { ModelInfo } from "../protocol";

/** The models' names as the page shows them. */
export const MODEL_TITLES: Readonly<Record<string, string>> = {
  mlp: "MLP",
  lenet: "LeNet-5",
  "vgg-small": "small VGG",
  resnet20: "ResNet-20",
};

/** A model's name as the page shows it (the registry's name for the others; "onnx:g" is an imported ONNX graph g). */
export const modelTitle = (model: string): string =>
  model.startsWith("onnx:") ? `ONNX model ${model.slice(5)}` : (MODEL_TITLES[model] ?? model);

const steps = (n: number) => `${n.toLocaleString("en-US")} step${n === 1 ? "" : "s"}`;

/**
 * How far a model was trained: "3 epochs (327 steps)", or for a run stopped part-way through
 * an epoch, "95 steps, stopped in epoch 1" (its whole epochs alone would say "0 epochs").
 */
export const trainedText = (info: Pick<ModelInfo, "epoch" | "step" | "stoppedInEpoch">): string =>
  info.stoppedInEpoch === undefined
    ? `${info.epoch} epoch${info.epoch === 1 ? "" : "s"} (${steps(info.step)})`
    : `${steps(info.step)}, stopped in epoch ${info.stoppedInEpoch}`;

/** The model line: what the model is, where it comes from and how far it was trained. */
export const modelLine = (info: ModelInfo): string => {
  const name = `${modelTitle(info.model)}${info.batchNorm ? " with batch norm" : ""}`;
  // An imported ONNX model says nothing of training: the file does not record it.
  if (info.source === "loaded" && info.model.startsWith("onnx:"))
    return `${name} loaded from ${info.fileName}.`;
  return info.source === "loaded"
    ? `${name} loaded from ${info.fileName}: ${trainedText(info)}.`
    : `${name} trained here on ${info.backend === "webgl" ? "WebGL" : "the CPU"}: ${trainedText(info)}.`;
};
