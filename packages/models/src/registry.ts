import type { Dim, Graph } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, Tree } from "@loom/ops";
import { trace } from "@loom/ops";
import type { MlpParams } from "./mlp";
import { MLP_SIZES, mlpForward, mlpParamSpecs } from "./mlp";

/** How each named model traces its forward graph for a batch dim. */
const MODELS = {
  mlp: (batch: Dim): Graph => {
    const fn = (inputs: Tree<Tensor>) => {
      const { params, x } = inputs as { params: MlpParams; x: Tensor };
      return { logits: mlpForward(params, x) };
    };
    return trace(fn, { params: mlpParamSpecs(MLP_SIZES), x: { shape: [batch, MLP_SIZES[0]!] } })
      .graph;
  },
} satisfies Record<string, (batch: Dim) => Graph>;

/** A model name known to the registry. */
export type ModelName = keyof typeof MODELS;

/** The models the CLI and the web app can name. */
export const MODEL_NAMES = Object.keys(MODELS) as readonly ModelName[];

const isModelName = (name: string): name is ModelName => Object.hasOwn(MODELS, name);

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
 * The forward graph of a named model (inputs `params.*` and `x`, output `logits`), with a
 * symbolic batch by default so one graph serves every batch size.
 */
export const modelGraph = (name: string, batch: Dim = "N"): Graph => {
  if (!isModelName(name)) {
    throw new LoomError(
      "invalid_argument",
      "modelGraph",
      `unknown model ${JSON.stringify(name)}; known models: ${MODEL_NAMES.join(", ")}`,
    );
  }
  checkBatch(batch);
  return MODELS[name](batch);
};
