/**
 * Loads an `.onnx` digit classifier for the draw-and-classify panel: the model imported with
 * @loom/onnx as a loom layer, checked to take 28x28 grey digits and give 10 class scores before
 * anything changes. `readModelFile` picks this or the checkpoint reader by the file's name.
 */
import type { HostTensor } from "@loom/graph";
import { formatShape } from "@loom/graph";
import { asLayer, importOnnx } from "@loom/onnx";
import type { Tree } from "@loom/ops";
import { specsOf, trace } from "@loom/ops";
import type { ReadCheckpoint } from "./read-checkpoint";
import { readCheckpoint } from "./read-checkpoint";
import { DIGIT } from "./digits";
import { badRequest } from "./requests";

/** The model name a loaded ONNX file gets (the page shows it as "ONNX model <graph name>"). */
export const ONNX_MODEL_PREFIX = "onnx:";

const CLASSES = 10;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Reads an ONNX digit classifier: one float input of shape `[N, 1, 28, 28]` or `[N, 784]`
 * (the batch may be a symbol or any number), one output of 10 class scores. Throws a LoomError
 * saying what is wrong ("not an ONNX model", an unsupported op, the wrong input shape).
 */
export const readOnnx = (bytes: Uint8Array, fileName: string): ReadCheckpoint => {
  // importOnnx's LoomErrors say it all: "not an ONNX model", every unsupported op by node.
  const imported = importOnnx(bytes);
  const inputs = Object.entries(imported.inputs);
  if (inputs.length !== 1 || imported.outputs.length < 1)
    throw badRequest(
      `${fileName} has inputs ${inputs.map(([k]) => k).join(", ") || "none"} and outputs ${imported.outputs.join(", ") || "none"}; a digit classifier has one input (28x28 digits) and one output (10 class scores)`,
    );
  const [name, spec] = inputs[0]!;
  const example = spec.shape.slice(1).join("x");
  if ((spec.dtype ?? "float32") !== "float32" || (example !== "1x28x28" && example !== "784"))
    throw badRequest(
      `${fileName} takes ${name} as ${spec.dtype ?? "float32"} ${formatShape(spec.shape)}; the digit panel gives float32 [N,1,28,28] (or [N,784]) grey digits: export a model for 28x28 MNIST digits`,
    );
  const layer = asLayer(imported);
  const params = imported.params as Tree<HostTensor>;
  // Build the forward pass once for one digit, so that a model this app cannot run (shape
  // arithmetic loom cannot import, a wrong class count) is refused now, not at the first drawing.
  let out: readonly (number | string)[];
  try {
    const traced = trace((io) => layer.apply(io.params, {}, io.x, { training: false }).y, {
      params: specsOf(params),
      x: { shape: [1, ...DIGIT] },
    });
    out = Object.values(traced.graph.outputs)[0]!.shape;
  } catch (e) {
    throw badRequest(`${fileName} cannot run on a digit: ${messageOf(e)}`);
  }
  if (out.join("x") !== `1x${CLASSES}`)
    throw badRequest(
      `${fileName} gives ${formatShape(out)} for one digit from its output ${imported.outputs[0]}; the digit panel needs ${CLASSES} class scores`,
    );
  return {
    config: { model: `${ONNX_MODEL_PREFIX}${imported.name}`, dropout: 0, batchNorm: false },
    layer,
    state: { params, state: {}, optState: {}, epoch: 0, step: 0 },
    seed: 0,
  };
};

/** Reads a model file the Load button gave: `.onnx` through @loom/onnx, anything else as a checkpoint. */
export const readModelFile = (bytes: Uint8Array, fileName: string): ReadCheckpoint =>
  fileName.toLowerCase().endsWith(".onnx")
    ? readOnnx(bytes, fileName)
    : readCheckpoint(bytes, fileName);
