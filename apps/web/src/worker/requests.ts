/**
 * Checks on what the page asks of the worker, with messages a user can act on. A training
 * configuration is checked by the library's own option checks (the batch size by `fit`'s rule,
 * the learning rate, optimizer and schedule by building the optimizer, the augmentation by
 * `parseAugment`), so the form refuses exactly what training would.
 */
import { LoomError } from "@loom/graph";
import type { Dataset } from "@loom/models/browser";
import {
  checkBatchSize,
  makeOptimizer,
  parseAugment,
  parseSchedule,
  sliceDataset,
} from "@loom/models/browser";
import type { ConfigField, ConfigProblems, TrainConfig } from "../protocol";
import { WEB_MODELS } from "../protocol";
import { DIGIT } from "./digits";

/** A LoomError for a request the worker cannot carry out. */
export const badRequest = (message: string): LoomError =>
  new LoomError("invalid_argument", "web app", message);

/** What `check` throws, or undefined when it passes. */
const failureOf = (check: () => void): Error | undefined => {
  try {
    check();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
};

/** The failing checks of a training configuration, per form field (see `configProblems`). */
const configFailures = (
  c: TrainConfig,
  trainCount: number,
  hasModel: boolean,
): [ConfigField, Error][] => {
  const checks: Record<ConfigField, () => void> = {
    model: () => {
      if (!WEB_MODELS.includes(c.model))
        throw badRequest(`unknown model ${JSON.stringify(c.model)}`);
    },
    optimizer: () => makeOptimizer(c.optimizer, 1),
    // The library accepts 0 (a frozen model), but a run that cannot learn is a typo here, as
    // it is for `loom train --lr`.
    lr: () => {
      makeOptimizer("sgd", c.lr);
      if (!(c.lr > 0)) throw badRequest(`the learning rate must be a positive number, got ${c.lr}`);
    },
    epochs: () => {
      if (!(Number.isInteger(c.epochs) && c.epochs >= 1 && c.epochs <= 1000))
        throw badRequest(`epochs must be a whole number from 1 to 1000, got ${c.epochs}`);
    },
    batchSize: () => checkBatchSize("web app", c.batchSize, trainCount),
    schedule: () => parseSchedule(c.schedule, 1, 1),
    augment: () => {
      if (c.augment.trim() !== "") parseAugment(c.augment, DIGIT);
    },
    resume: () => {
      if (c.resume && !hasModel)
        throw badRequest("there is no model to continue: train or load one first");
    },
  };
  return (Object.entries(checks) as [ConfigField, () => void][]).flatMap(([field, check]) => {
    const e = failureOf(check);
    return e === undefined ? [] : [[field, e] as [ConfigField, Error]];
  });
};

/**
 * What is wrong with a training configuration, per form field, for a run on `trainCount`
 * digits; `hasModel` says whether there is a model to continue.
 */
export const configProblems = (
  c: TrainConfig,
  trainCount: number,
  hasModel: boolean,
): ConfigProblems =>
  Object.fromEntries(configFailures(c, trainCount, hasModel).map(([f, e]) => [f, e.message]));

/** Throws the first failing check of a training configuration (see `configProblems`). */
export const checkConfig = (c: TrainConfig, trainCount: number, hasModel: boolean): void => {
  const first = configFailures(c, trainCount, hasModel)[0];
  if (first !== undefined) throw first[1];
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
