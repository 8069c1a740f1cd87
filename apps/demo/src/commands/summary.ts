import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { formatShape } from "@loom/graph";
import type { ModelSummary } from "@loom/models";
import { getModel, MODEL_NAMES, summarize } from "@loom/models";
import type { CliIo } from "../cli-io";

/** Parses `--input 3x224x224` into the shape of one example. */
export const parseInputShape = (value: string): number[] => {
  if (!/^[1-9][0-9]*(x[1-9][0-9]*)*$/.test(value))
    throw new InvalidArgumentError("must be positive integers joined by x, such as 3x224x224.");
  return value.split("x").map(Number);
};

const positiveInt = (value: string): number => {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError("must be a positive integer.");
  return Number(value);
};

/** A count with thousands separators (`25,557,032`), independent of the locale. */
export const withCommas = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** A count in engineering units (`4.09 G`), for the totals line. */
const short = (n: number): string => {
  const units: [number, string][] = [
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
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

type SummaryOptions = { input?: number[]; classes?: number; depth: number; json: boolean };

/** Runs `loom summary`: builds the model's graph on placeholders (nothing runs) and prints it. */
export const runSummary = (model: string, o: SummaryOptions, io: CliIo): void => {
  const { layer, input } = getModel(model, { input: o.input, classes: o.classes });
  const s = summarize(layer, { shape: ["N", ...input] }, { depth: o.depth });
  io.out(`${model} on ${input.join("x")} inputs (MACs per example)\n`);
  io.out(`${renderSummary(s)}\n`);
  io.out(`${short(s.params)} params, ${short(s.macs)} MACs\n`);
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
export const registerSummary = (program: Command, io: CliIo): Command =>
  program
    .command("summary")
    .description("print a model's layers with output shapes, parameters and MACs")
    .argument("<model>", `the model (${MODEL_NAMES.join(", ")})`)
    .option("--input <CxHxW>", "shape of one input example (default: the model's)", parseInputShape)
    .option("--classes <n>", "number of classes (default: the model's)", positiveInt)
    .option("--depth <n>", "how deep into nested layers the rows go", positiveInt, 2)
    .option("--json", "print a JSON summary as the last line", false)
    .action((model: string, opts: SummaryOptions) => runSummary(model, opts, io));
