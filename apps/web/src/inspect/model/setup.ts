import type { StepSetup } from "@loom/models";
import { makeOptimizer, parseAugment, parseSchedule } from "@loom/models";

/**
 * How a model is trained, as far as it shapes the training step's graph: the web app's switches
 * (`loom train --bn --augment --optimizer --lr --schedule`).
 */
export interface TrainingSetup {
  readonly batchNorm: boolean;
  readonly optimizer: string;
  readonly lr: number;
  readonly schedule: string;
  /** The augmentation spec, "" for none. */
  readonly augment: string;
  /** The run's length in steps, which a schedule spans. */
  readonly totalSteps: number;
}

/** The optimizer and augmentation a training setup puts in the step, for images of `input`. */
export const stepSetup = (
  s: TrainingSetup,
  input: readonly number[],
): Pick<StepSetup, "optimizer" | "augment"> => {
  const optimizer = makeOptimizer(s.optimizer, parseSchedule(s.schedule, s.lr, s.totalSteps));
  return s.augment.trim() === ""
    ? { optimizer }
    : { optimizer, augment: parseAugment(s.augment, input) };
};
