/**
 * What a training run stores in a checkpoint's metadata besides the tensors: the model
 * configuration (so that a reader rebuilds the same model), the epochs completed and the seed.
 * The CLI and the web app both write and read it, so a file saved by one loads in the other.
 */
import { LoomError } from "@loom/graph";

/** The configuration stored in a checkpoint, so `evaluate`, `--resume` and the web app rebuild the same model. */
export interface RunConfig {
  readonly model: string;
  readonly dropout: number;
  readonly batchNorm: boolean;
  /** The optimizer whose state the checkpoint holds (absent in inference-only use). */
  readonly optimizer?: string;
}

/** The metadata keys of a training run's checkpoint. */
export const RUN_META = { config: "config", epoch: "epoch", seed: "seed" } as const;

/** The metadata a training run writes with its checkpoint. */
export const runMeta = (
  config: RunConfig,
  epoch: number,
  seed: number,
): Record<string, string> => ({
  [RUN_META.config]: JSON.stringify(config),
  [RUN_META.epoch]: String(epoch),
  [RUN_META.seed]: String(seed),
});

/** How far a run got and how it was seeded, as stored in its checkpoint. */
export interface RunProgress {
  readonly epoch: number;
  readonly seed: number;
}

const WHOLE_NUMBER = /^(0|[1-9][0-9]*)$/;

/**
 * Reads the epochs completed and the seed from a checkpoint's metadata (0 when absent, as in files
 * from before they were recorded). A value that is not a whole number is refused: read as 0 or
 * NaN, a garbled epoch would make a resumed run train the wrong number of epochs.
 */
export const runProgressOf = (
  meta: Readonly<Record<string, string>>,
  source: string,
): RunProgress => {
  const read = (key: string): number => {
    const text = Object.hasOwn(meta, key) ? meta[key]! : "0";
    const n = Number(text);
    if (!WHOLE_NUMBER.test(text) || !Number.isSafeInteger(n)) {
      throw new LoomError(
        "checkpoint_invalid",
        "checkpoint",
        `${source}: metadata ${key} is ${JSON.stringify(text.slice(0, 40))}, not a whole number`,
      );
    }
    return n;
  };
  return { epoch: read(RUN_META.epoch), seed: read(RUN_META.seed) };
};

/**
 * Reads the model configuration stored in a checkpoint's metadata; `source` names the file in the
 * error. It checks the run's epoch and seed too (see `runProgressOf`), so that every reader of a
 * run's checkpoint refuses garbled metadata.
 */
export const configOf = (meta: Readonly<Record<string, string>>, source: string): RunConfig => {
  runProgressOf(meta, source);
  try {
    const c = JSON.parse(meta[RUN_META.config] ?? "") as Partial<RunConfig> | null;
    if (
      typeof c === "object" &&
      c !== null &&
      typeof c.model === "string" &&
      typeof (c.dropout ?? 0) === "number" &&
      typeof (c.batchNorm ?? false) === "boolean"
    ) {
      return {
        model: c.model,
        dropout: c.dropout ?? 0,
        batchNorm: c.batchNorm ?? false,
        ...(typeof c.optimizer === "string" ? { optimizer: c.optimizer } : {}),
      };
    }
  } catch {
    // fall through to the error below
  }
  throw new LoomError(
    "checkpoint_invalid",
    "checkpoint",
    `${source} has no loom model configuration; was it written by loom train or the web app?`,
  );
};
