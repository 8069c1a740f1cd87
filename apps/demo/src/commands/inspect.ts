import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import type { Dim, Graph } from "@loom/graph";
import { printDot, printText, toJson } from "@loom/graph";
import { MODEL_NAMES, modelGraph } from "@loom/models";
import type { CliIo } from "../cli-io";

/** The graph formats `loom inspect` prints. */
export const INSPECT_FORMATS = ["text", "dot", "json"] as const;

/** One of the formats `loom inspect` prints. */
export type InspectFormat = (typeof INSPECT_FORMATS)[number];

/** Renders a graph in one of the inspect formats. */
export const renderGraph = (g: Graph, format: InspectFormat, title = "loom"): string => {
  switch (format) {
    case "text":
      return printText(g);
    case "dot":
      return printDot(g, title);
    case "json":
      return JSON.stringify(toJson(g), null, 2);
  }
};

/** Parses `--batch`: a number becomes a concrete dim, a name stays a symbol (the default, "N"). */
export const parseBatch = (value: string): Dim => {
  if (/^[1-9][0-9]*$/.test(value)) return Number(value);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return value;
  throw new InvalidArgumentError("must be a positive integer or a symbol such as N.");
};

type InspectOptions = { model: string; format: InspectFormat; batch: Dim };

/** Adds `loom inspect`: print a model's forward graph as text, Graphviz DOT or JSON. */
export const registerInspect = (program: Command, io: CliIo): Command =>
  program
    .command("inspect")
    .description("print a model's forward graph")
    .requiredOption("-m, --model <name>", `the model (${MODEL_NAMES.join(", ")})`)
    .addOption(
      new Option("-f, --format <format>", "output format").choices(INSPECT_FORMATS).default("text"),
    )
    .option("-b, --batch <n>", "batch dim: a positive integer or a symbol", parseBatch, "N")
    .action((opts: InspectOptions) => {
      io.out(`${renderGraph(modelGraph(opts.model, opts.batch), opts.format, opts.model)}\n`);
    });
