import type { Command } from "commander";
import { Option } from "commander";
import { LoomError } from "@loom/graph";
import { nn } from "@loom/ops";
import type { augment } from "@loom/ops";
import type { FitResult, InitName, RunConfig, TrainState } from "@loom/models";
import {
  AUGMENT_SPECS,
  DEFAULT_LR,
  evaluate,
  fit,
  getModel,
  labelShuffling,
  parseAugment,
  initModel,
  loadMnist,
  makeOptimizer,
  MODEL_NAMES,
  OPTIMIZER_NAMES,
  parseSchedule,
  splitValidation,
} from "@loom/models";
import { add, optim } from "@loom/ops";
import { checkBackend, DEFAULT_BACKEND, pickBackend } from "../backends";
import type { CliIo } from "../cli-io";
import type { CliOptions } from "../cli-options";
import { pipelineFromEnv } from "../pipeline-env";
import { epochBar } from "../progress";
import {
  nonNegativeInt,
  nonNegativeNumber,
  nonNegativeSafeInt,
  positiveInt,
  positiveNumber,
} from "./parse-options";
import {
  checkCheckpointFresh,
  checkCheckpointOption,
  claimCheckpoint,
  resumeFrom,
  save,
} from "./run-checkpoint";

/** The models that take MNIST's 1x28x28 digits (the ImageNet ones need 3x224x224). */
export const MNIST_MODELS = MODEL_NAMES.filter((m) => getModel(m).input.join("x") === "1x28x28");

/** The options of `loom train`. */
export interface TrainOptions {
  model: string;
  epochs: number;
  batch: number;
  optimizer: string;
  lr?: number;
  schedule: string;
  weightDecay: number;
  l1: number;
  l2: number;
  clip?: number;
  dropout: number;
  bn: boolean;
  seed: number;
  checkpoint?: string;
  resume: boolean;
  overwrite: boolean;
  valSplit: number;
  patience?: number;
  backend: string;
  json: boolean;
  progress: boolean;
  augment?: string;
  init?: string;
  labelShuffle: boolean;
  /** Train on the first N training digits only (a hidden option, for quick runs and tests). */
  limit?: number;
}

/** What `checkTrainOptions` makes of the options: the model and the augmentation pipeline. */
interface CheckedTrain {
  readonly config: RunConfig;
  readonly layer: nn.Layer;
  readonly input: readonly number[];
  readonly augment?: augment.Augmentation;
}

/**
 * Checks every option that needs no data, so that a bad one is refused in milliseconds rather
 * than after MNIST is loaded or an epoch has trained: backend, model, optimizer, dropout,
 * schedule and augmentation syntax (bounded by the model's image size), and the checkpoint name.
 */
export const checkTrainOptions = (o: TrainOptions): CheckedTrain => {
  checkBackend(o.backend);
  if (!OPTIMIZER_NAMES.includes(o.optimizer as never)) {
    throw new LoomError(
      "invalid_argument",
      "train",
      `unknown optimizer ${JSON.stringify(o.optimizer)}; use one of ${OPTIMIZER_NAMES.join(", ")}`,
    );
  }
  if (o.dropout >= 1)
    throw new LoomError(
      "invalid_argument",
      "train",
      `--dropout must be in [0, 1), got ${o.dropout}`,
    );
  checkCheckpointOption(o);
  const { layer, input } = getModel(o.model, {
    dropout: o.dropout,
    batchNorm: o.bn,
    init: o.init as InitName | undefined,
  });
  // The real step count is known once the data is; any count checks the spec's syntax.
  parseSchedule(o.schedule, 1, 1);
  return {
    config: { model: o.model, dropout: o.dropout, batchNorm: o.bn, optimizer: o.optimizer },
    layer,
    input,
    augment: o.augment === undefined ? undefined : parseAugment(o.augment, input),
  };
};

/**
 * Trains a model on MNIST as the options say; returns the summary printed by `--json` (nothing
 * in a dry run, which stops after the checks that read no data and write no file).
 */
export const runTrain = async (
  o: TrainOptions,
  io: CliIo,
  options: CliOptions = {},
): Promise<TrainSummary | undefined> => {
  const checked = checkTrainOptions(o);
  if (options.dryRun) {
    checkCheckpointFresh(o);
    return undefined;
  }
  const path = o.checkpoint;
  const lock = path === undefined ? undefined : await claimCheckpoint({ ...o, checkpoint: path });
  try {
    const saveTo =
      path === undefined || lock === undefined
        ? undefined
        : (state: TrainState) => save(path, lock, state, checked.config, o.seed);
    return await train(o, io, checked, saveTo);
  } finally {
    await lock?.release();
  }
};

/** The summary `loom train --json` prints. */
export interface TrainSummary {
  readonly model: string;
  readonly backend: string;
  readonly epochs: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly trainSeconds: number;
  readonly stepsPerSecond: number;
}

/** The run itself, once the options are checked and the checkpoint (if any) is locked. */
const train = async (
  o: TrainOptions,
  io: CliIo,
  { config, layer, input, augment }: CheckedTrain,
  saveTo: ((state: TrainState) => Promise<void>) | undefined,
): Promise<TrainSummary> => {
  const backend = pickBackend(o.backend, io.err);
  const mnist = loadMnist();
  // --limit N keeps the first N training digits: everything after them is split off and dropped.
  const pool =
    o.limit === undefined
      ? mnist.train
      : splitValidation(mnist.train, mnist.train.count - Math.min(o.limit, mnist.train.count))
          .train;
  const valCount = o.patience !== undefined && o.valSplit === 0 ? 1000 : o.valSplit;
  if (valCount >= pool.count)
    throw new LoomError("invalid_argument", "train", `--val-split must be below ${pool.count}`);
  const { train, val } = splitValidation(pool, valCount);
  const batches = Math.floor(train.count / o.batch);
  if (batches < 1)
    throw new LoomError(
      "invalid_argument",
      "train",
      `--batch ${o.batch} is larger than the ${train.count} training digits`,
    );
  const lr = o.lr ?? DEFAULT_LR[o.optimizer as keyof typeof DEFAULT_LR];
  const optimizer = makeOptimizer(o.optimizer, parseSchedule(o.schedule, lr, o.epochs * batches), {
    weightDecay: o.weightDecay,
    clipNorm: o.clip,
  });
  const regs = [
    ...(o.l1 > 0 ? [(p: Parameters<typeof optim.l1Penalty>[0]) => optim.l1Penalty(p, o.l1)] : []),
    ...(o.l2 > 0 ? [(p: Parameters<typeof optim.l2Penalty>[0]) => optim.l2Penalty(p, o.l2)] : []),
  ];
  const regularizer =
    regs.length === 0
      ? undefined
      : (p: Parameters<typeof optim.l2Penalty>[0]) =>
          regs.map((r) => r(p)).reduce((a, b) => add(a, b));

  // LOOM_DEBUG and LOOM_DUMP_DIR: validation and the dump of every compile of this run.
  const pipeline = pipelineFromEnv(process.env);
  const start: TrainState | Awaited<ReturnType<typeof initModel>> =
    o.resume && o.checkpoint !== undefined
      ? await resumeFrom(o.checkpoint, config, o.seed, layer, input)
      : await initModel(backend, layer, o.seed, { shape: ["N", ...input] }, pipeline);

  const t0 = performance.now();
  let bar = epochBar(0, o.epochs, batches, false);
  // fit throws on a NaN or Inf loss or state before onEpoch, so a diverged epoch is never saved.
  const result: FitResult = await fit({
    backend,
    model: layer,
    optimizer,
    regularizer,
    train,
    val,
    epochs: o.epochs,
    batchSize: o.batch,
    seed: o.seed,
    start,
    pipeline,
    earlyStopping: o.patience === undefined ? undefined : { patience: o.patience },
    // fit's warnings (an early stopping that cannot trigger) go to stderr, beside --json's stdout.
    onLog: (message) => io.err(`${message}\n`),
    augment,
    order: o.labelShuffle ? labelShuffling(train.labels, o.seed) : undefined,
    onStep: ({ epoch, batch, loss }) => {
      if (batch === 0) bar = epochBar(epoch + 1, o.epochs, batches, o.progress);
      bar.update(batch + 1, loss);
    },
    onEpoch: async (r, state) => {
      bar.stop();
      const v = r.val
        ? ` | val loss ${r.val.loss.toFixed(4)} acc ${r.val.accuracy.toFixed(4)}`
        : "";
      io.out(
        `epoch ${r.epoch}/${o.epochs}: train loss ${r.train.loss.toFixed(4)} acc ${r.train.accuracy.toFixed(4)}${v} | ${r.seconds.toFixed(1)} s, ${(r.steps / r.seconds).toFixed(1)} steps/s\n`,
      );
      await saveTo?.(state);
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (result.stoppedEarly) {
    io.out(
      `early stopping: no validation improvement for ${o.patience} epochs; restored epoch ${result.bestEpoch}\n`,
    );
    await saveTo?.(result.state);
  }
  const test = await evaluate(backend, { model: layer }, result.state, mnist.test, 500, pipeline);
  io.out(
    `test: loss ${test.loss.toFixed(4)} accuracy ${test.accuracy.toFixed(4)} on ${mnist.test.count} digits\n`,
  );
  const steps = result.history.reduce((n, h) => n + h.steps, 0);
  return {
    model: o.model,
    backend: backend.name,
    epochs: result.history.length,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    trainSeconds,
    stepsPerSecond: steps / trainSeconds,
  };
};

/** Adds `loom train`. */
export const registerTrain = (program: Command, io: CliIo, options: CliOptions = {}): Command =>
  program
    .command("train")
    .description(
      "train a model on the 8,000 MNIST training digits and report test accuracy on the 2,000 test digits",
    )
    .addOption(new Option("-m, --model <name>", "the model").choices(MNIST_MODELS).default("lenet"))
    .addOption(new Option("--dataset <name>", "the dataset").choices(["mnist"]).default("mnist"))
    .option("-e, --epochs <n>", "epochs", positiveInt("--epochs"), 10)
    .option("-b, --batch <n>", "batch size", positiveInt("--batch"), 64)
    .addOption(
      new Option("-o, --optimizer <name>", "optimizer").choices(OPTIMIZER_NAMES).default("adam"),
    )
    .option(
      "--lr <x>",
      "learning rate (default: the optimizer's, 1e-3 for adam)",
      positiveNumber("--lr"),
    )
    .option(
      "--schedule <spec>",
      "constant | exp:K | inverse:K | step:GAMMA:EVERY | cosine, optionally +warmup:W (steps)",
      "constant",
    )
    .option(
      "--weight-decay <x>",
      "weight decay (L2 in the gradient; decoupled for adamw)",
      nonNegativeNumber("--weight-decay"),
      0,
    )
    .option("--l1 <x>", "L1 penalty lambda on weights", nonNegativeNumber("--l1"), 0)
    .option("--l2 <x>", "L2 penalty lambda/2 * sum w^2 on weights", nonNegativeNumber("--l2"), 0)
    .option("--clip <x>", "clip gradients to this global norm", positiveNumber("--clip"))
    .option("--dropout <p>", "dropout rate in the hidden layers", nonNegativeNumber("--dropout"), 0)
    .option("--bn", "batch normalisation after hidden layers", false)
    .addOption(
      new Option("--init <name>", "weight initializer (perceptron, mlp, lenet)").choices(
        Object.keys(nn.INITIALIZERS),
      ),
    )
    .option("--augment <list>", `data augmentation in the training graph: ${AUGMENT_SPECS}`)
    .option("--label-shuffle", "class-balanced epochs (label shuffling)", false)
    .option(
      "--seed <n>",
      "random seed (initialisation, shuffling, dropout)",
      nonNegativeSafeInt("--seed"),
      0,
    )
    .option("--checkpoint <file>", "save a safetensors checkpoint after every epoch (atomically)")
    .option("--resume", "continue training from --checkpoint", false)
    .option("--overwrite", "replace an existing --checkpoint", false)
    .option(
      "--val-split <n>",
      "hold out the last N training digits for validation",
      nonNegativeInt("--val-split"),
      0,
    )
    .option(
      "--patience <n>",
      "early stopping: epochs without validation improvement (holds out 1000 digits unless --val-split)",
      positiveInt("--patience"),
    )
    .option("--backend <name>", "backend", DEFAULT_BACKEND)
    .option("--json", "print a JSON summary as the last line", false)
    .option("--no-progress", "no progress bar")
    .addOption(
      new Option("--limit <n>", "train on the first N training digits")
        .argParser(positiveInt("--limit"))
        .hideHelp(),
    )
    .action(async (opts: TrainOptions) => {
      const summary = await runTrain(opts, io, options);
      if (summary !== undefined && opts.json) io.out(`${JSON.stringify(summary)}\n`);
    });
