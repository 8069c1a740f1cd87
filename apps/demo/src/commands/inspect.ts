import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import type { Dim, Graph, HostTensor } from "@loom/graph";
import {
  allocTyped,
  LoomError,
  numel,
  printDot,
  printExpr,
  printPlan,
  printText,
  toJson,
  topoOrder,
} from "@loom/graph";
import { renderKernel } from "@loom/backend-cpu";
import {
  getModel,
  makeOptimizer,
  MODEL_NAMES,
  modelGraph,
  specsOf,
  trainStep,
  varSpecs,
} from "@loom/models";
import type { PipelineReport, Tensor, TensorSpec, Tree } from "@loom/ops";
import { inspectPipeline, isSpec, mapTree, STAGE_NAMES, trace } from "@loom/ops";
import type { ModelEntry } from "@loom/models";
import type { CliIo } from "../cli-io";
import type { ModelSourceOptions, ResolvedModel } from "./user-module";
import { parseInputShape } from "./summary";
import { addModuleOptions, loadUserModel, usesModule } from "./user-module";
import { pipelineFromEnv } from "../pipeline-env";

/** The graph formats `loom inspect` prints. */
export const INSPECT_FORMATS = ["text", "dot", "json"] as const;

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

const zerosOf = (specs: Tree<TensorSpec>): Tree<HostTensor> =>
  mapTree(specs, isSpec, (s): HostTensor => {
    const shape = s.shape as number[];
    return {
      data: allocTyped(s.dtype ?? "float32", numel(shape)),
      shape,
      dtype: s.dtype ?? "float32",
    };
  });

/**
 * The training-step graph of a named model (Adam, softmax cross-entropy): forward, backward,
 * update and the new state in one graph, as `loom train` compiles it.
 */
export const trainGraph = (name: string | ModelEntry, batch: Dim): Graph => {
  const { layer, input } = typeof name === "string" ? getModel(name) : name;
  const vars = varSpecs(layer, { shape: [1, ...input] });
  const optimizer = makeOptimizer("adam", 1e-3);
  const opt = specsOf(optimizer.init(zerosOf(vars.params)));
  return trace(
    trainStep({ model: layer, optimizer }) as unknown as (i: unknown) => Tree<Tensor>,
    {
      ...vars,
      optState: opt,
      x: { shape: [batch, ...input] },
      y: { shape: [batch], dtype: "int32" },
      key: { shape: [2], dtype: "int32" },
      step: { shape: [], dtype: "int32" },
    } as Tree<TensorSpec>,
  ).graph;
};

type InspectOptions = ModelSourceOptions & {
  format: InspectFormat;
  batch: Dim;
  train: boolean;
  stage: string;
  kernel?: number;
  source: boolean;
  json: boolean;
};

const nodeCount = (g: Graph) => topoOrder(g).length;

/** The summary `--json` prints: node and kernel counts per stage and the memory plan's figures. */
export const summarize = (model: string, train: boolean, r: PipelineReport) => ({
  model,
  train,
  stages: r.stages.map((s) =>
    s.kind === "graph"
      ? { name: s.name, nodes: nodeCount(s.graph), kernels: r.unfusedKernels }
      : { name: s.name, nodes: nodeCount(r.graph), kernels: s.plan.kernels.length },
  ),
  memory: r.memory && {
    peakBytes: r.memory.peakBytes,
    noReuseBytes: r.memory.noReuseBytes,
    lowerBoundBytes: r.memory.lowerBoundBytes,
    inputBytes: r.memory.inputBytes,
    outputBytes: r.memory.outputBytes,
  },
});

/** A stage name or alias as the pipeline names it. */
const canonical = (stage: string): string =>
  (STAGE_ALIASES as Record<string, string>)[stage] ?? stage;

/** Runs `loom inspect` on a zoo model, or on `user`, a model loaded from the user's module. */
export const runInspect = (o: InspectOptions, io: CliIo, user?: ResolvedModel): void => {
  const model = user ?? o.model!;
  const graph = o.train ? trainGraph(model, o.batch) : modelGraph(model, o.batch);
  o = { ...o, model: user?.name ?? o.model };
  const stage = canonical(o.stage);
  if (stage === "input" && !o.json && o.kernel === undefined) {
    io.out(`${renderGraph(graph, o.format, o.model)}\n`);
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
  } else if (record !== undefined && (!o.json || record.kind === "graph")) {
    if (record.kind === "graph") io.out(`${renderGraph(record.graph, o.format, o.model)}\n`);
    else
      io.out(
        o.format === "json"
          ? `${JSON.stringify(record.plan, null, 2)}\n`
          : `${printPlan(record.plan)}\n`,
      );
  }
  if (o.json) io.out(`${JSON.stringify(summarize(o.model!, o.train, report))}\n`);
};

/** Adds `loom inspect`: a model's graph after each pass of the pipeline, its kernels and their generated code. */
export const registerInspect = (program: Command, io: CliIo): Command =>
  addModuleOptions(program.command("inspect"), parseInputShape)
    .description(
      "print a model's graph after each pipeline stage, its kernels and their generated code",
    )
    .option("-m, --model <name>", `a zoo model (${MODEL_NAMES.join(", ")}), or see --module`)
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
    .action(async (opts: InspectOptions) =>
      runInspect(opts, io, usesModule(opts) ? await loadUserModel(opts) : undefined),
    );
