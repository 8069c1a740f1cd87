import type { RunConfig, TrainState } from "@loom/models/browser";
import {
  configOf,
  decodeCheckpoint,
  getModel,
  runProgressOf,
  varSpecs,
} from "@loom/models/browser";
import type { nn } from "@loom/ops";
import { DIGIT } from "./digits";
import { badRequest } from "./requests";

/** A checkpoint read and checked, ready to classify with. */
export interface ReadCheckpoint {
  readonly config: RunConfig;
  readonly layer: nn.Layer;
  readonly state: TrainState;
  readonly seed: number;
}

/**
 * Reads a checkpoint written by the web app or `loom train`, checking everything a model needs:
 * the format and CRC, the model configuration in the metadata (a model of the registry that
 * takes 28x28 digits), every tensor's name, shape and dtype against that model, and (in the
 * loader every caller shares) finite values and whole-number epoch and seed. Throws a LoomError naming the file and the problem; returns nothing partial.
 */
export const readCheckpoint = (bytes: Uint8Array, fileName: string): ReadCheckpoint => {
  // No `source`: the app puts the file name in front of every message itself.
  const header = decodeCheckpoint(bytes);
  const config = configOf(header.meta, fileName);
  const { epoch, seed } = runProgressOf(header.meta, fileName);
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
  return {
    config,
    layer,
    state: {
      params: ck.params,
      state: ck.state,
      optState: ck.optState,
      epoch,
      step: ck.step,
    },
    seed,
  };
};
