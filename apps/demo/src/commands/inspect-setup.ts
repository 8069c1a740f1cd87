import type { Command } from "commander";
import { Option } from "commander";
import { AUGMENT_SPECS, DEFAULT_LR, OPTIMIZER_NAMES } from "@loom/models";
import type { TrainingSetup } from "@loom/web/inspect";
import { positiveNumber } from "./parse-options";

/** `loom inspect`'s training switches, as `loom train` spells them. */
export interface SetupOptions {
  bn?: boolean;
  augment?: string;
  optimizer?: string;
  lr?: number;
  schedule?: string;
}

/** The steps a schedule spans in an inspected step (only constants of the graph depend on it). */
const INSPECT_STEPS = 1000;

/** Adds `--bn`, `--augment`, `--optimizer`, `--lr` and `--schedule` (with `--train`). */
export const addSetupOptions = (c: Command): Command =>
  c
    .option("--bn", "with --train: batch normalisation after hidden layers, as loom train --bn")
    .option("--augment <list>", `with --train: data augmentation in the step: ${AUGMENT_SPECS}`)
    .addOption(
      new Option("--optimizer <name>", "with --train: the optimizer (default adam)").choices(
        OPTIMIZER_NAMES,
      ),
    )
    .option("--lr <x>", "with --train: the learning rate", positiveNumber("--lr"))
    .option("--schedule <spec>", "with --train: the learning-rate schedule, as loom train's");

/** The training setup the switches ask for, or undefined when none is given (Adam, plain model). */
export const setupOf = (o: SetupOptions): TrainingSetup | undefined => {
  if ([o.bn, o.augment, o.optimizer, o.lr, o.schedule].every((v) => v === undefined)) return;
  const optimizer = o.optimizer ?? "adam";
  return {
    batchNorm: o.bn ?? false,
    optimizer,
    lr: o.lr ?? DEFAULT_LR[optimizer as keyof typeof DEFAULT_LR],
    schedule: o.schedule ?? "constant",
    augment: o.augment ?? "",
    totalSteps: INSPECT_STEPS,
  };
};
