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

/** Reads the model configuration stored in a checkpoint's metadata; `source` names the file in the error. */
export const configOf = (meta: Readonly<Record<string, string>>, source: string): RunConfig => {
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
