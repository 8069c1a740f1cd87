/** The checkpoint files of `loom train`, `evaluate` and `features`: claim, save, resume, load. */
import { existsSync } from "node:fs";
import { LoomError } from "@loom/graph";
import type { nn } from "@loom/ops";
import type { ModelVars, RunConfig, TrainState } from "@loom/models";
import { configOf, getModel, RUN_META, runMeta, runProgressOf, varSpecs } from "@loom/models";
import type { CheckpointLock } from "@loom/models/node";
import { checkWritable, loadCheckpoint, lockCheckpoint, saveCheckpoint } from "@loom/models/node";

/** What a run asks of its `--checkpoint`. */
export interface CheckpointUse {
  readonly checkpoint?: string;
  readonly resume: boolean;
  readonly overwrite: boolean;
}

/** Refuses `--checkpoint ''` (it would train and save nothing), a NUL byte, and `--resume` without a file. */
export const checkCheckpointOption = (o: CheckpointUse): void => {
  if (o.checkpoint === "")
    throw new LoomError("invalid_argument", "train", "--checkpoint needs a file name, got ''");
  if (o.checkpoint?.includes("\0"))
    throw new LoomError("invalid_argument", "train", "--checkpoint must not contain a NUL byte");
  if (o.resume && o.checkpoint === undefined)
    throw new LoomError("invalid_argument", "train", "--resume needs --checkpoint FILE");
};

/** Refuses to replace an existing checkpoint unless the run resumes or overwrites it. */
export const checkCheckpointFresh = (o: CheckpointUse): void => {
  if (o.checkpoint !== undefined && existsSync(o.checkpoint) && !o.resume && !o.overwrite) {
    throw new LoomError(
      "invalid_argument",
      "train",
      `${o.checkpoint} exists; pass --resume to continue it or --overwrite to replace it`,
    );
  }
};

/**
 * Before the first epoch: checks that the checkpoint can be written and takes its lock for the
 * whole run, so that a bad path fails in a second, not after an hour of training, and a second
 * run on the same file is refused instead of silently replacing this one's work. The
 * existence check runs again under the lock, where no other run can create the file meanwhile.
 */
export const claimCheckpoint = async (o: CheckpointUse & { checkpoint: string }) => {
  await checkWritable(o.checkpoint);
  const lock = await lockCheckpoint(o.checkpoint);
  try {
    checkCheckpointFresh(o);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return lock;
};

/** Saves the training state atomically under the run's lock, with the model configuration in the metadata. */
export const save = (
  path: string,
  lock: CheckpointLock,
  state: TrainState,
  config: RunConfig,
  seed: number,
) =>
  saveCheckpoint(
    path,
    {
      params: state.params,
      state: state.state,
      optState: state.optState,
      step: state.step,
      meta: runMeta(config, state.epoch, seed),
    },
    { lock },
  );

/** Loads a checkpoint to continue training: it must be of the same model, configuration and seed. */
export const resumeFrom = async (
  path: string,
  config: RunConfig,
  seed: number,
  layer: nn.Layer,
  input: readonly number[],
): Promise<TrainState> => {
  const ck = await loadCheckpoint(path);
  const saved = configOf(ck.meta, path);
  if (JSON.stringify(saved) !== JSON.stringify(config)) {
    throw new LoomError(
      "checkpoint_invalid",
      "train",
      `${path} holds ${JSON.stringify(saved)}, not ${JSON.stringify(config)}; resume with the same --model, --dropout, --bn and --optimizer`,
    );
  }
  // The seed orders every epoch's examples and draws the dropout masks: another seed would not
  // continue the run that was saved.
  const savedSeed = Object.hasOwn(ck.meta, RUN_META.seed) ? ck.meta[RUN_META.seed] : undefined;
  if (savedSeed !== undefined && savedSeed !== String(seed)) {
    throw new LoomError(
      "invalid_argument",
      "train",
      `${path} was trained with --seed ${savedSeed}, not ${seed}; resume with --seed ${savedSeed}`,
    );
  }
  const specs = varSpecs(layer, { shape: [1, ...input] });
  const checked = await loadCheckpoint(path, { params: specs.params, state: specs.state });
  return {
    params: checked.params,
    state: checked.state,
    optState: checked.optState,
    step: checked.step,
    epoch: runProgressOf(ck.meta, path).epoch,
  };
};

/** Loads a checkpoint for inference, checking it against the model its metadata names. */
export const loadForInference = async (
  path: string,
): Promise<{ config: RunConfig; vars: ModelVars; layer: nn.Layer }> => {
  const ck = await loadCheckpoint(path);
  const config = configOf(ck.meta, path);
  const { layer, input } = getModel(config.model, {
    dropout: config.dropout,
    batchNorm: config.batchNorm,
  });
  const specs = varSpecs(layer, { shape: [1, ...input] });
  const checked = await loadCheckpoint(path, { params: specs.params, state: specs.state });
  return { config, vars: { params: checked.params, state: checked.state }, layer };
};
