import { existsSync } from "node:fs";
import type { Command } from "commander";
import { Option } from "commander";
import { LoomError } from "@loom/graph";
import { nn } from "@loom/ops";
import type { FitResult, InitName, ModelVars, RunConfig, TrainState } from "@loom/models";
import {
  AUGMENT_SPECS,
  configOf,
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
  RUN_META,
  runMeta,
  splitValidation,
  varSpecs,
} from "@loom/models";
import { loadCheckpoint, saveCheckpoint } from "@loom/models/node";
import { add, optim } from "@loom/ops";
import { DEFAULT_BACKEND, pickBackend } from "../backends";
import type { CliIo } from "../cli-io";
import { pipelineFromEnv } from "../pipeline-env";
import { epochBar } from "../progress";
import {
  nonNegativeInt,
  nonNegativeNumber,
  nonNegativeSafeInt,
  positiveInt,
  positiveNumber,
} from "./parse-options";

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

/** Trains a model on MNIST as the options say; returns the summary printed by `--json`. */
export const runTrain = async (o: TrainOptions, io: CliIo) => {
  const backend = pickBackend(o.backend);
  const config: RunConfig = {
    model: o.model,
    dropout: o.dropout,
    batchNorm: o.bn,
    optimizer: o.optimizer,
  };
  const { layer, input } = getModel(o.model, {
    dropout: o.dropout,
    batchNorm: o.bn,
    init: o.init as InitName | undefined,
  });
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
  if (o.checkpoint && existsSync(o.checkpoint) && !o.resume && !o.overwrite) {
    throw new LoomError(
      "invalid_argument",
      "train",
      `${o.checkpoint} exists; pass --resume to continue it or --overwrite to replace it`,
    );
  }
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
  let start: TrainState | Awaited<ReturnType<typeof initModel>>;
  if (o.resume) {
    if (!o.checkpoint)
      throw new LoomError("invalid_argument", "train", "--resume needs --checkpoint FILE");
    start = await resumeFrom(o.checkpoint, config, o.seed, layer, input);
  } else {
    start = await initModel(backend, layer, o.seed, { shape: ["N", ...input] }, pipeline);
  }

  const t0 = performance.now();
  let bar = epochBar(0, o.epochs, batches, false);
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
    augment: o.augment === undefined ? undefined : parseAugment(o.augment),
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
      if (o.checkpoint) await save(o.checkpoint, state, config, o.seed);
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (result.stoppedEarly) {
    io.out(
      `early stopping: no validation improvement for ${o.patience} epochs; restored epoch ${result.bestEpoch}\n`,
    );
    if (o.checkpoint) await save(o.checkpoint, result.state, config, o.seed);
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

/** Saves the training state atomically, with the model configuration in the metadata. */
export const save = (path: string, state: TrainState, config: RunConfig, seed: number) =>
  saveCheckpoint(path, {
    params: state.params,
    state: state.state,
    optState: state.opt,
    step: state.step,
    meta: runMeta(config, state.epoch, seed),
  });

/** Loads a checkpoint to continue training: it must be of the same model, configuration and seed. */
const resumeFrom = async (
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
  const savedSeed = ck.meta[RUN_META.seed];
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
    opt: checked.optState,
    step: checked.step,
    epoch: Number(ck.meta[RUN_META.epoch] ?? 0),
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

/** Adds `loom train`. */
export const registerTrain = (program: Command, io: CliIo): Command =>
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
      const summary = await runTrain(opts, io);
      if (opts.json) io.out(`${JSON.stringify(summary)}\n`);
    });
