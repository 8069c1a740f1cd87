/** Checks on what the page asks of the worker, with messages a user can act on. */
import { LoomError } from "@loom/graph";
import type { Dataset } from "@loom/models/browser";
import { OPTIMIZER_NAMES, sliceDataset } from "@loom/models/browser";
import type { TrainConfig } from "../protocol";
import { WEB_MODELS } from "../protocol";

/** A LoomError for a request the worker cannot carry out. */
export const badRequest = (message: string): LoomError =>
  new LoomError("invalid_argument", "web app", message);

/** Checks a training configuration against the number of training digits it will use. */
export const checkConfig = (c: TrainConfig, trainCount: number): void => {
  if (!WEB_MODELS.includes(c.model)) throw badRequest(`unknown model ${JSON.stringify(c.model)}`);
  if (!OPTIMIZER_NAMES.includes(c.optimizer as never))
    throw badRequest(`unknown optimizer ${JSON.stringify(c.optimizer)}`);
  if (!(c.lr > 0 && Number.isFinite(c.lr)))
    throw badRequest(`the learning rate must be a positive number, got ${c.lr}`);
  if (!(Number.isInteger(c.epochs) && c.epochs >= 1 && c.epochs <= 1000))
    throw badRequest(`epochs must be a whole number from 1 to 1000, got ${c.epochs}`);
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1 && c.batchSize <= trainCount))
    throw badRequest(
      `the batch size must be a whole number from 1 to ${trainCount} (the training digits), got ${c.batchSize}`,
    );
  if (!(Number.isSafeInteger(c.seed) && c.seed >= 0))
    throw badRequest(`the seed must be a whole number >= 0, got ${c.seed}`);
};

/** The training digits of a run: the pool, or its first `limit` digits. */
export const trainingDigits = (pool: Dataset, limit: number | undefined): Dataset => {
  if (limit === undefined) return pool;
  if (!(Number.isInteger(limit) && limit >= 1))
    throw badRequest(`limit must be a whole number of training digits >= 1, got ${limit}`);
  return sliceDataset(pool, 0, Math.min(limit, pool.count));
};
