import type { HostTensor } from "@loom/graph";
import type { RunConfig, TrainState } from "@loom/models/browser";
import { configOf, decodeCheckpoint, getModel, RUN_META, varSpecs } from "@loom/models/browser";
import type { nn, Tree } from "@loom/ops";
import { flattenTree, isHostTensor } from "@loom/ops";
import { DIGIT } from "./digits";
import { badRequest } from "./requests";

/** A checkpoint read and checked, ready to classify with. */
export interface ReadCheckpoint {
  readonly config: RunConfig;
  readonly layer: nn.Layer;
  readonly state: TrainState;
  readonly seed: number;
}

/** The first NaN or Inf among a tree's float tensors, as `path[i]`. */
const firstNonFinite = (tree: Tree<HostTensor>, prefix: string): string | undefined => {
  for (const { path, leaf } of flattenTree(tree, isHostTensor, prefix)) {
    const i = leaf.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `${path}[${i}]`;
  }
  return undefined;
};

const wholeNumber = (text: string | undefined): number => {
  const n = Number(text ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

/**
 * Reads a checkpoint written by the web app or `loom train`, checking everything a model needs:
 * the format and CRC, the model configuration in the metadata (a model of the registry that
 * takes 28x28 digits), every tensor's name, shape and dtype against that model, and finite
 * values. Throws a LoomError naming the file and the problem; returns nothing partial.
 */
export const readCheckpoint = (bytes: Uint8Array, fileName: string): ReadCheckpoint => {
  const header = decodeCheckpoint(bytes);
  const config = configOf(header.meta, fileName);
  const { layer, input } = getModel(config.model, {
    dropout: config.dropout,
    batchNorm: config.batchNorm,
  });
  if (input.join("x") !== DIGIT.join("x"))
    throw badRequest(
      `${fileName} holds a ${config.model}, which takes ${input.join("x")} images, not 28x28 digits`,
    );
  const specs = varSpecs(layer, { shape: [1, ...DIGIT] });
  const ck = decodeCheckpoint(bytes, { params: specs.params, state: specs.state });
  const bad = firstNonFinite(ck.params, "params") ?? firstNonFinite(ck.state, "state");
  if (bad !== undefined) throw badRequest(`${fileName}: ${bad} is not a finite number`);
  return {
    config,
    layer,
    state: {
      params: ck.params,
      state: ck.state,
      opt: ck.optState,
      epoch: wholeNumber(ck.meta[RUN_META.epoch]),
      step: ck.step,
    },
    seed: wholeNumber(ck.meta[RUN_META.seed]),
  };
};
