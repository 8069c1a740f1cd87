import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import type { Dim, Graph } from "@loom/graph";
import { LoomError, printDot, printExpr, printText, toJson } from "@loom/graph";
import { writeFileSync } from "node:fs";
import { cpuBackend, renderKernel } from "@loom/backend-cpu";
import type { Inspection } from "@loom/web/inspect";
import {
  profileKernels,
  runInspection,
  stageRows,
  stepSetup,
  toInspection,
} from "@loom/web/inspect";
import { getModel, MODEL_NAMES, modelGraph, trainGraph } from "@loom/models";
import type { PipelineReport } from "@loom/ops";
import { inspectPipeline, STAGE_NAMES } from "@loom/ops";
import type { CliIo } from "../cli-io";
import { pipelineFromEnv } from "../pipeline-env";
import { onnxGraph } from "./import";
import { parseInputShape } from "./summary";
import type { ModelSourceOptions, ResolvedModel } from "./user-module";
import { addModuleOptions, loadUserModel, usesModule } from "./user-module";
import { inspectionHtml, inspectorBundle } from "./inspect-html";
import type { SetupOptions } from "./inspect-setup";
import { addSetupOptions, setupOf } from "./inspect-setup";
import { printKernelLayers, printLabelledPlan } from "./plan-text";

/**
 * The formats `loom inspect` prints: a graph as text, DOT or JSON; `inspection`, the
 * inspector's whole JSON (stages, graph, kernels, memory, summary); `html`, the inspector as one
 * self-contained page.
 */
export const INSPECT_FORMATS = ["text", "dot", "json", "inspection", "html"] as const;

/** One of the formats `loom inspect` prints. */
export type InspectFormat = (typeof INSPECT_FORMATS)[number];

/** Earlier names of pipeline stages, still accepted by `--stage`. */
export const STAGE_ALIASES = {
  traced: "input",
  simplified: "simplify",
  fused: "fuse",
  planned: "plan-memory",
} as const satisfies Record<string, (typeof STAGE_NAMES)[number]>;

/** The pipeline stages `loom inspect --stage` shows: the pipeline's own names, then the aliases. */
export const STAGES = [
  ...STAGE_NAMES,
  ...(Object.keys(STAGE_ALIASES) as (keyof typeof STAGE_ALIASES)[]),
];

/** Renders a graph in one of the inspect formats. */
export const renderGraph = (g: Graph, format: GraphFormat, title = "loom"): string => {
  switch (format) {
    case "text":
      return printText(g);
    case "dot":
      return printDot(g, title);
    case "json":
      return JSON.stringify(toJson(g), null, 2);
  }
};

/** The formats that print one graph. */
type GraphFormat = "text" | "dot" | "json";

/** Parses `--batch`: a number becomes a concrete dim, a name stays a symbol (the default, "N"). */
export const parseBatch = (value: string): Dim => {
  if (/^[1-9][0-9]*$/.test(value)) return Number(value);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return value;
  throw new InvalidArgumentError("must be a positive integer or a symbol such as N.");
};

type InspectOptions = ModelSourceOptions &
  SetupOptions & {
    format: InspectFormat;
    batch: Dim;
    train: boolean;
    stage: string;
    kernel?: number;
    source: boolean;
    json: boolean;
    profile: "cpu" | "none";
    out?: string;
  };

/**
 * The summary `--json` prints: per stage its node and kernel counts and what it removed or
 * merged (the inspector's stage rows), and the memory plan's figures.
 */
export const summarize = (model: string, train: boolean, r: PipelineReport) => ({
  model,
  train,
  stages: stageRows(r).map(({ ops: _, ...row }) => row),
  memory: r.memory && {
    peakBytes: r.memory.peakBytes,
    noReuseBytes: r.memory.noReuseBytes,
    lowerBoundBytes: r.memory.lowerBoundBytes,
    inPlace: r.memory.inPlace,
    inputBytes: r.memory.inputBytes,
    outputBytes: r.memory.outputBytes,
  },
});

/** The inspector's JSON for `--format inspection` and `html`, profiled on the CPU unless `--profile none`. */
const inspection = async (o: InspectOptions): Promise<Inspection> => {
  const setup = o.train ? setupOf(o) : undefined;
  const request = {
    model: o.model!,
    train: o.train,
    // A symbolic batch is bound to 64, as for the other stages.
    batch: typeof o.batch === "number" ? o.batch : 64,
    ...(o.input === undefined ? {} : { input: o.input }),
    ...(setup === undefined ? {} : { setup }),
  };
  const report = runInspection(request, pipelineFromEnv(process.env));
  if (o.profile === "none") return toInspection(request, report);
  const ms = await profileKernels(report.planned, (profile) => cpuBackend({ profile }));
  return toInspection(request, report, { backend: "cpu", ms });
};

/** Writes the inspector's JSON, or its self-contained page, to `--out` or stdout. */
const writeInspection = async (o: InspectOptions, io: CliIo): Promise<void> => {
  const data = await inspection(o);
  const text =
    o.format === "html"
      ? inspectionHtml(data, await inspectorBundle())
      : `${JSON.stringify(data)}\n`;
  if (o.out === undefined) io.out(text);
  else writeFileSync(o.out, text);
};

/** A stage name or alias as the pipeline names it. */
const canonical = (stage: string): string =>
  (STAGE_ALIASES as Record<string, string>)[stage] ?? stage;

/**
 * Runs `loom inspect` on a zoo model, an ONNX file, or `user`, a model loaded from the user's
 * module (the inspector's formats take zoo models).
 */
export const runInspect = async (o: InspectOptions, io: CliIo, user?: ResolvedModel) => {
  if (o.format === "inspection" || o.format === "html") {
    if (user !== undefined || o.model!.endsWith(".onnx"))
      throw new LoomError(
        "invalid_argument",
        "inspect",
        `--format ${o.format} inspects zoo models (${MODEL_NAMES.join(", ")}); use --format text, dot or json for a module or an ONNX file`,
      );
    return writeInspection(o, io);
  }
  const format = o.format;
  const model = user ?? o.model!;
  const setup = o.train ? setupOf(o) : undefined;
  const graph =
    typeof model === "string" && model.endsWith(".onnx")
      ? onnxGraph(model, o.batch)
      : o.train
        ? setup === undefined || typeof model !== "string"
          ? trainGraph(model, o.batch)
          : trainGraph(
              model,
              o.batch,
              { batchNorm: setup.batchNorm },
              stepSetup(setup, getModel(model).input),
            )
        : modelGraph(model, o.batch);
  o = { ...o, model: user?.name ?? o.model };
  const stage = canonical(o.stage);
  if (stage === "input" && !o.json && o.kernel === undefined) {
    io.out(`${renderGraph(graph, format, o.model)}\n`);
    return;
  }
  // Later stages need concrete shapes: a symbolic batch is bound to 64.
  const bindings = typeof o.batch === "string" ? { [o.batch]: 64 } : {};
  const report = inspectPipeline(graph, bindings, {
    ...pipelineFromEnv(process.env),
    name: o.model,
  });
  const record = report.stages.find((s) => s.name === stage);
  if (o.kernel !== undefined) {
    const k = report.planned.kernels[o.kernel];
    if (k === undefined)
      throw new LoomError(
        "invalid_argument",
        "inspect",
        `--kernel ${o.kernel} is out of range: the plan has ${report.planned.kernels.length} kernels`,
      );
    if (k.kind === "library") {
      io.out(
        `k${o.kernel} is the library kernel ${k.call.kind}${k.epilogue ? ` with epilogue ${printExpr(k.epilogue.expr)}` : ""}\n`,
      );
      if (o.source && k.epilogue)
        io.out(`${renderKernel(k.epilogue.expr, k.shape, k.epilogue.inputs.length + 1)}\n`);
    } else {
      io.out(`k${o.kernel}: ${printExpr(k.expr)}\n`);
      if (o.source) io.out(`${renderKernel(k.expr, k.shape, k.inputs.length)}\n`);
    }
    io.out(`${printKernelLayers(report.graph, k)}\n`);
  } else if (record !== undefined && (!o.json || record.kind === "graph")) {
    if (record.kind === "graph") io.out(`${renderGraph(record.graph, format, o.model)}\n`);
    else
      io.out(
        format === "json"
          ? `${JSON.stringify(record.plan, null, 2)}\n`
          : `${printLabelledPlan(report.graph, record.plan)}\n`,
      );
  }
  if (o.json) io.out(`${JSON.stringify(summarize(o.model!, o.train, report))}\n`);
};

/** Adds `loom inspect`: a model's graph after each pass of the pipeline, its kernels and their generated code. */
export const registerInspect = (program: Command, io: CliIo): Command =>
  addSetupOptions(addModuleOptions(program.command("inspect")))
    .description(
      "print a model's graph after each pipeline stage, its kernels and their generated code",
    )
    .option(
      "-m, --model <name>",
      `a zoo model (${MODEL_NAMES.join(", ")}), an ONNX file, or see --module`,
    )
    .addOption(
      new Option("-f, --format <format>", "output format").choices(INSPECT_FORMATS).default("text"),
    )
    .option(
      "-b, --batch <n>",
      "batch dim: a positive integer or a symbol (bound to 64 after tracing)",
      parseBatch,
      "N",
    )
    .option(
      "--train",
      "the whole training step (forward, backward, Adam update) instead of inference",
      false,
    )
    .addOption(new Option("--stage <stage>", "pipeline stage").choices(STAGES).default("input"))
    .option("--kernel <k>", "show kernel k of the planned plan", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new InvalidArgumentError("must be a non-negative integer.");
      return n;
    })
    .option("--source", "with --kernel: the generated JavaScript", false)
    .option("--json", "print a JSON summary (stages, kernels, memory) as the last line", false)
    .option(
      "--input <CxHxW>",
      "shape of one input example, e.g. 1x28x28 (with --module, or a zoo model's size for --format inspection|html)",
      parseInputShape,
    )
    .addOption(
      new Option("--profile <backend>", "with --format inspection|html: time the kernels on")
        .choices(["cpu", "none"])
        .default("cpu"),
    )
    .option("-o, --out <file>", "with --format inspection|html: write to this file")
    .action(async (opts: InspectOptions) =>
      runInspect(opts, io, usesModule(opts) ? await loadUserModel(opts) : undefined),
    );
