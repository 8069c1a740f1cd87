import type { Graph, PipelineOptions, Plan } from "@loom/graph";
import { numberNodes, topoOrder } from "@loom/graph";
import type { ModelOptions } from "@loom/models";
import { getModel, modelGraph, summarize, trainGraph } from "@loom/models";
import type { PipelineReport } from "@loom/ops";
import { inspectPipeline } from "@loom/ops";
import { kernelInfos } from "./kernels";
import type { TrainingSetup } from "./setup";
import { stepSetup } from "./setup";
import { memoryPlan } from "./memory";
import { stageRows } from "./stages";
import type { GraphNode, Inspection } from "./types";
import { INSPECTION_VERSION } from "./types";

/** What to inspect: a named model, forward or training step, at a batch and input size. */
export interface InspectRequest {
  readonly model: string;
  /** The whole training step (forward, backward, Adam update) instead of inference. */
  readonly train: boolean;
  readonly batch: number;
  /** One example's shape (`[C, H, W]`), instead of the model's default. */
  readonly input?: readonly number[];
  /** Let kernels write over dying inputs (false for WebGL, as its backend plans it). */
  readonly inPlace?: boolean;
  /** How the model is trained (the web app's model in training), instead of Adam without batch norm. */
  readonly setup?: TrainingSetup;
}

const modelOptions = (r: InspectRequest): ModelOptions => ({
  ...(r.input === undefined ? {} : { input: [...r.input] }),
  ...(r.setup === undefined ? {} : { batchNorm: r.setup.batchNorm }),
});

/** Traces the request's graph and runs the pipeline on it (nothing runs on a backend); `pipeline` adds validation or a dump. */
export const runInspection = (
  r: InspectRequest,
  pipeline: PipelineOptions = {},
): PipelineReport => {
  const opts = modelOptions(r);
  const setup = r.setup && stepSetup(r.setup, getModel(r.model, opts).input);
  const graph = r.train
    ? trainGraph(r.model, r.batch, opts, setup)
    : modelGraph(r.model, r.batch, opts);
  return inspectPipeline(graph, {}, { ...pipeline, name: r.model, inPlace: r.inPlace ?? true });
};

/** A graph's nodes, each with its layer, its name and (given the plan) the kernel that computes it. */
const graphNodes = (g: Graph, plan?: Plan): GraphNode[] => {
  const order = topoOrder(g);
  const ids = numberNodes(order);
  const kernelOf = new Map<number, number>();
  plan?.kernels.forEach((k, i) => k.nodes.forEach((n) => kernelOf.set(n, i)));
  const named = new Map(
    [...Object.entries(g.inputs), ...Object.entries(g.outputs)].map(([name, n]) => [n, name]),
  );
  return order.map((n, id) => ({
    id,
    op: n.op,
    shape: n.shape,
    dtype: n.dtype,
    inputs: n.inputs.map((i) => ids.get(i)!),
    ...(n.path === undefined ? {} : { path: n.path }),
    ...(named.has(n) ? { name: named.get(n)! } : {}),
    ...(kernelOf.has(id) ? { kernel: kernelOf.get(id)! } : {}),
  }));
};

/**
 * The inspection of a request from its pipeline report: stages, the lowered graph, the final
 * plan's kernels (with their times when `ms` comes from a profiling run on `backend`), the
 * memory plan and the per-layer summary.
 */
export const toInspection = (
  r: InspectRequest,
  report: PipelineReport,
  profile?: { readonly backend: string; readonly ms: readonly number[] },
): Inspection => {
  const { layer, input } = getModel(r.model, modelOptions(r));
  const summary = summarize(layer, { shape: [r.batch, ...input] });
  return {
    version: INSPECTION_VERSION,
    subject: {
      model: r.model,
      train: r.train,
      input,
      batch: r.batch,
      ...(r.setup === undefined ? {} : { setup: r.setup }),
      ...(profile === undefined ? {} : { backend: profile.backend }),
    },
    stages: stageRows(report),
    graph: { nodes: graphNodes(report.graph, report.planned) },
    stageGraphs: report.stages.flatMap((s) =>
      s.kind === "graph" ? [{ stage: s.name, nodes: graphNodes(s.graph) }] : [],
    ),
    kernels: kernelInfos(report.graph, report.planned, profile?.ms),
    ...(report.memory === undefined ? {} : { memory: memoryPlan(report.planned, report.memory) }),
    summary: {
      params: summary.params,
      macs: summary.macs,
      layers: summary.layers.map((l) => ({ ...l, outputShape: [...l.outputShape] })),
    },
  };
};
