import type { Dim, Graph } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { input, isTensor, mapTree, trace } from "@loom/ops";
import { lenet5 } from "./zoo/lenet";
import { mlp } from "./zoo/mlp";
import { perceptron } from "./zoo/perceptron";

/** A named model: its layer and the shape of one input example. */
export interface ModelEntry {
  readonly layer: nn.Layer;
  readonly input: readonly number[];
}

/** Options every named model understands (ignored where they do not apply, e.g. dropout in a perceptron). */
export interface ModelOptions {
  readonly dropout?: number;
  readonly batchNorm?: boolean;
  readonly classes?: number;
}

/** The models the CLI and the web app can name, with their default configuration for MNIST. */
const MODELS: Readonly<Record<string, (o: ModelOptions) => ModelEntry>> = {
  perceptron: (o) => ({ layer: perceptron(o.classes), input: [1, 28, 28] }),
  mlp: (o) => ({ layer: mlp(o), input: [1, 28, 28] }),
  lenet: (o) => ({ layer: lenet5(o), input: [1, 28, 28] }),
};

/** The known model names. */
export const MODEL_NAMES: readonly string[] = Object.keys(MODELS);

/** The entry of a named model; unknown names are a LoomError listing the known ones. */
export const getModel = (name: string, opts: ModelOptions = {}): ModelEntry => {
  const make = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (make === undefined) {
    throw new LoomError(
      "invalid_argument",
      "model",
      `unknown model ${JSON.stringify(name)}; known models: ${MODEL_NAMES.join(", ")}`,
    );
  }
  return make(opts);
};

/**
 * The types of a layer's params and state for an input type, by tracing `init` without
 * running it: shape inference alone.
 */
export const varSpecs = (
  layer: nn.Layer,
  spec: nn.InputSpec,
): { params: Tree<TensorSpec>; state: Tree<TensorSpec> } => {
  const { params, state } = layer.init(input("key", [2], "int32"), spec);
  const toSpec = (t: Tree<Tensor>) =>
    mapTree(t, isTensor, (n): TensorSpec => ({ shape: n.shape, dtype: n.dtype }));
  return { params: toSpec(params), state: toSpec(state) };
};

const checkBatch = (batch: Dim): void => {
  const ok =
    typeof batch === "number"
      ? Number.isInteger(batch) && batch >= 1
      : /^[A-Za-z_][A-Za-z0-9_]*$/.test(batch);
  if (!ok) {
    throw new LoomError(
      "invalid_argument",
      "modelGraph",
      `batch must be a positive integer or a symbol such as "N", got ${JSON.stringify(batch)}`,
    );
  }
};

/**
 * The inference graph of a named model (inputs `params.*`, `state.*` and `x`, output
 * `logits`), with a symbolic batch by default so one graph serves every batch size.
 */
export const modelGraph = (name: string, batch: Dim = "N"): Graph => {
  const { layer, input: example } = getModel(name);
  checkBatch(batch);
  const x = { shape: [batch, ...example] };
  const vars = varSpecs(layer, x);
  return trace(
    ({ params, state, x: xs }: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => ({
      logits: layer.apply(params, state, xs, { training: false }).y,
    }),
    { ...vars, x },
  ).graph;
};
