import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { formatShape } from "@loom/graph";
import type { ModelSummary } from "@loom/models";
import { getModel, MODEL_NAMES, summarize } from "@loom/models";
import type { CliIo } from "../cli-io";
import type { CliOptions } from "../cli-options";
import type { ModelSourceOptions, ResolvedModel } from "./user-module";
import { addModuleOptions, loadUserModel, usesModule } from "./user-module";

/** The largest size one dimension may be given (2^31 - 1): larger ones could never run. */
const MAX_DIM = 2 ** 31 - 1;

/** Parses `--input 3x224x224` into the shape of one example. */
export const parseInputShape = (value: string): number[] => {
  if (!/^[1-9][0-9]*(x[1-9][0-9]*)*$/.test(value))
    throw new InvalidArgumentError("must be positive integers joined by x, such as 3x224x224.");
  const dims = value.split("x").map(Number);
  if (dims.length > 8) throw new InvalidArgumentError("must have at most 8 dimensions.");
  const big = dims.find((d) => d > MAX_DIM);
  if (big !== undefined)
    throw new InvalidArgumentError(`must have dimensions of at most ${withCommas(MAX_DIM)}.`);
  return dims;
};

/** Parses a positive integer no larger than `MAX_DIM`. */
const positiveInt = (value: string): number => {
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > MAX_DIM)
    throw new InvalidArgumentError(`must be a positive integer up to ${withCommas(MAX_DIM)}.`);
  return Number(value);
};

/**
 * A count as exact digits with thousands separators (`25,557,032`), independent of the locale,
 * while a double holds it exactly (up to 2^53); past that, or for a non-integer, in scientific
 * notation with 4 significant digits (`2.560e+24`), since the digits would be made up.
 */
export const withCommas = (n: number): string =>
  Number.isInteger(n) && Math.abs(n) <= 2 ** 53
    ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
    : Number.isFinite(n)
      ? n.toExponential(3)
      : String(n);

/** A count in engineering units (`4.09 G`), for the totals line; scientific past 10^18. */
export const shortCount = (n: number): string => {
  const units: [number, string][] = [
    [1e15, "P"],
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  if (n >= 1e18) return n.toExponential(2);
  const u = units.find(([v]) => n >= v);
  return u === undefined ? String(n) : `${(n / u[0]).toPrecision(3)} ${u[1]}`;
};

/** The summary as an aligned table: one row per layer, then the totals. */
export const renderSummary = (s: ModelSummary): string => {
  const rows = [
    ["layer", "output shape", "params", "MACs"],
    ...s.layers.map((l) => [
      l.name,
      formatShape(l.outputShape),
      withCommas(l.params),
      withCommas(l.macs),
    ]),
    ["total", "", withCommas(s.params), withCommas(s.macs)],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    [
      r[0]!.padEnd(widths[0]!),
      r[1]!.padEnd(widths[1]!),
      r[2]!.padStart(widths[2]!),
      r[3]!.padStart(widths[3]!),
    ]
      .join("  ")
      .trimEnd();
  const rule = "-".repeat(widths.reduce((a, b) => a + b, 6));
  const body = rows.slice(1, -1).map(line);
  return [line(rows[0]!), rule, ...body, rule, line(rows[rows.length - 1]!)].join("\n");
};

type SummaryOptions = ModelSourceOptions & { classes?: number; depth: number; json: boolean };

/**
 * Runs `loom summary`: builds the model's graph on placeholders (nothing runs) and prints it.
 * The model is a zoo name, or `user`, a model loaded from the user's module.
 */
export const runSummary = (
  zooModel: string | undefined,
  o: SummaryOptions,
  io: CliIo,
  options: CliOptions = {},
  user?: ResolvedModel,
): void => {
  const model = user?.name ?? zooModel!;
  const { layer, input } = user ?? getModel(model, { input: o.input, classes: o.classes });
  if (options.dryRun) return;
  const s = summarize(layer, { shape: ["N", ...input] }, { depth: o.depth });
  io.out(`${model} on ${input.join("x")} inputs (MACs per example)\n`);
  io.out(`${renderSummary(s)}\n`);
  io.out(`${shortCount(s.params)} params, ${shortCount(s.macs)} MACs\n`);
  if (o.json) {
    const layers = s.layers.map((l) => ({
      name: l.name,
      outputShape: l.outputShape,
      params: l.params,
      macs: l.macs,
    }));
    io.out(`${JSON.stringify({ model, params: s.params, macs: s.macs, layers })}\n`);
  }
};

/** Adds `loom summary`: a model's layers, output shapes, parameter counts and MACs. */
export const registerSummary = (program: Command, io: CliIo, options: CliOptions = {}): Command =>
  addModuleOptions(program.command("summary"))
    .description("print a model's layers with output shapes, parameters and MACs")
    .argument("[model]", `a zoo model (${MODEL_NAMES.join(", ")}), or see --module`)
    .option("--input <CxHxW>", "shape of one input example (default: the model's)", parseInputShape)
    .option("--classes <n>", "number of classes (default: the model's)", positiveInt)
    .option("--depth <n>", "how deep into nested layers the rows go", positiveInt, 2)
    .option("--json", "print a JSON summary as the last line", false)
    .action(async (model: string | undefined, opts: SummaryOptions) => {
      const user = usesModule({ ...opts, model }) ? await loadUserModel(opts) : undefined;
      runSummary(model, opts, io, options, user);
    });
