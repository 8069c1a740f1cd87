import { existsSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { LoomError } from "@loom/graph";
import {
  fromTorchStateDict,
  MODEL_NAMES,
  readTorchStateDict,
  runMeta,
  toTorchStateDict,
  TORCH_MODEL_NAMES,
  torchModel,
  writeTorchStateDict,
} from "@loom/models";
import { saveCheckpoint, writeFileAtomic } from "@loom/models/node";
import type { CliIo } from "../cli-io";
import { nonNegativeNumber } from "./parse-options";
import { loadForInference } from "./run-checkpoint";

interface ConvertOptions {
  from?: "torch";
  to?: "torch";
  checkpoint: string;
  model?: string;
  out?: string;
  batchNorm: boolean;
  dropout: number;
  overwrite: boolean;
}

const bad = (message: string): LoomError => new LoomError("invalid_argument", "convert", message);

/** `x.safetensors` -> `x.<tag>.safetensors` (or `x.<tag>.safetensors` after any other name). */
const defaultOut = (input: string, tag: string): string =>
  `${input.replace(/\.safetensors$/, "")}.${tag}.safetensors`;

/** The same file, following links, so that a conversion never replaces what it reads. */
const samePath = (a: string, b: string): boolean => {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  return real(a) === real(b);
};

const checkOut = (input: string, out: string, overwrite: boolean): void => {
  if (samePath(input, out)) throw bad(`--out ${out} is the input file; choose another path`);
  if (existsSync(out) && !overwrite) throw bad(`${out} exists; pass --overwrite to replace it`);
};

/** Rewrites a LoomError's message to start with the file it is about. */
const aboutFile = <A>(path: string, f: () => A): A => {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof LoomError)) throw e;
    const message = e.message.startsWith(`${e.op}: `)
      ? e.message.slice(e.op.length + 2)
      : e.message;
    throw new LoomError(e.code, e.op, `${path}: ${message}`, e.shapes);
  }
};

const fromTorch = async (opts: ConvertOptions, io: CliIo): Promise<void> => {
  if (opts.model === undefined)
    throw bad("--from torch needs --model (the zoo model the state dict is of)");
  const out = opts.out ?? defaultOut(opts.checkpoint, "loom");
  checkOut(opts.checkpoint, out, opts.overwrite);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(opts.checkpoint);
  } catch (e) {
    throw new LoomError("io", "convert", `cannot read ${opts.checkpoint}: ${(e as Error).message}`);
  }
  const config = { model: opts.model, dropout: opts.dropout, batchNorm: opts.batchNorm };
  const model = torchModel(opts.model, config);
  const vars = aboutFile(opts.checkpoint, () =>
    fromTorchStateDict(model, readTorchStateDict(bytes)),
  );
  await saveCheckpoint(out, { ...vars, step: 0, meta: runMeta(config, 0, 0) });
  io.out(`${opts.model}: ${opts.checkpoint} (PyTorch state dict) -> ${out} (loom checkpoint)\n`);
};

const toTorch = async (opts: ConvertOptions, io: CliIo): Promise<void> => {
  const out = opts.out ?? defaultOut(opts.checkpoint, "torch");
  checkOut(opts.checkpoint, out, opts.overwrite);
  const { config, vars } = await loadForInference(opts.checkpoint);
  if (opts.model !== undefined && opts.model !== config.model) {
    throw bad(`${opts.checkpoint} holds model ${config.model}, not ${opts.model}`);
  }
  const model = torchModel(config.model, config);
  const stateDict = aboutFile(opts.checkpoint, () => toTorchStateDict(model, vars));
  await writeFileAtomic(out, writeTorchStateDict(stateDict));
  io.out(`${config.model}: ${opts.checkpoint} (loom checkpoint) -> ${out} (PyTorch state dict)\n`);
};

/** Adds `loom convert`: PyTorch state dicts (safetensors) to loom checkpoints and back. */
export const registerConvert = (program: Command, io: CliIo): Command =>
  program
    .command("convert")
    .description(
      "convert a PyTorch state dict (safetensors, torchvision's names) to a loom checkpoint, or back",
    )
    .addOption(
      new Option("--from <format>", "read this format, write a loom checkpoint").choices(["torch"]),
    )
    .addOption(
      new Option("--to <format>", "read a loom checkpoint, write this format").choices(["torch"]),
    )
    .requiredOption("-c, --checkpoint <file>", "the file to convert")
    .addOption(
      new Option(
        "-m, --model <name>",
        "the zoo model (with --to: checked against the checkpoint)",
      ).choices(MODEL_NAMES.filter((n) => TORCH_MODEL_NAMES.includes(n))),
    )
    .option(
      "--out <file>",
      "where to write (default: the input with .loom or .torch before .safetensors)",
    )
    .option("--batch-norm", "the model has batch normalisation (mlp, lenet)", false)
    .option(
      "--dropout <rate>",
      "the model's dropout rate (mlp and lenet name layers by position)",
      nonNegativeNumber("--dropout"),
      0,
    )
    .option("--overwrite", "replace an existing output file", false)
    .action(async (opts: ConvertOptions) => {
      if ((opts.from === undefined) === (opts.to === undefined))
        throw bad("give exactly one of --from torch and --to torch");
      await (opts.from !== undefined ? fromTorch(opts, io) : toTorch(opts, io));
    });
