import type { Node, Shape } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { flattenTree, input, isSpec, mapTree } from "@loom/ops";
import { varSpecs } from "./registry";

/** One row of a model summary: a named child layer, its output type, its parameters and MACs. */
export interface LayerSummary {
  readonly name: string;
  readonly outputShape: Shape;
  readonly params: number;
  readonly macs: number;
}

/** A model's parameter count and multiply-accumulates (conv and matmul), in total and per layer. */
export interface ModelSummary {
  readonly params: number;
  readonly macs: number;
  readonly layers: readonly LayerSummary[];
}

/** Options of `summarize`. */
export interface SummaryOptions {
  /**
   * How deep into nested layers rows go (default 2: `layer1.0`, `features.conv1`). A layer
   * shallower than this with named children is shown through its children instead.
   */
  readonly depth?: number;
}

/** Elements of a shape, counting a symbolic dim (the batch "N") as 1: figures are per example. */
const perExample = (shape: Shape): number =>
  shape.reduce<number>((p, d) => p * (typeof d === "number" ? d : 1), 1);

/**
 * The most elements one tensor of a summarised model may hold per example (2^31): typed arrays
 * and WebGL textures stop well before it, so a model past it could never run and its figures
 * would be meaningless.
 */
export const MAX_SUMMARY_ELEMENTS = 2 ** 31;

/** Throws, naming the input, the tensor and its size, if a tensor is past `MAX_SUMMARY_ELEMENTS`. */
const checkSize = (spec: nn.InputSpec, what: string | undefined, shape: Shape): void => {
  const n = perExample(shape);
  if (n > MAX_SUMMARY_ELEMENTS) {
    const tensor = what === undefined ? "" : ` is too large: ${what} ${formatShape(shape)}`;
    const per = what?.startsWith("parameter") ? "" : " per example";
    throw new LoomError(
      "invalid_argument",
      "summarize",
      `input ${formatShape(spec.shape)}${tensor} would hold ${n.toPrecision(3)} elements${per}, over the 2^31 one tensor may hold; use a smaller input`,
      [spec.shape, shape],
    );
  }
};

/**
 * Multiply-accumulates of one node: conv2d is `N*O*Ho*Wo*(C/groups)*KH*KW`, matmul
 * `batch*m*n*k`; everything else (elementwise, pooling, batch norm) counts 0, as the usual
 * FLOP tables (torchvision's, fvcore's) count only convolutions and linear layers.
 */
export const nodeMacs = (n: Node): number => {
  if (n.op === "conv2d") {
    const w = n.inputs[1]!.shape;
    return perExample(n.shape) * perExample(w.slice(1));
  }
  if (n.op === "matmul") {
    const a = n.inputs[0]!.shape;
    return perExample(n.shape) * perExample(a.slice(-1));
  }
  return 0;
};

/** MACs of the nodes reachable from `root` that `seen` does not hold yet; marks them seen. */
const newMacs = (root: Node, seen: Set<Node>): number => {
  let macs = 0;
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    macs += nodeMacs(n);
    stack.push(...n.inputs);
  }
  return macs;
};

const depthOf = (name: string) => name.split(".").length;

/**
 * The rows to show: the tapped names at most `depth` deep that have no tapped descendant
 * within that depth (a stage is shown as its blocks, not both).
 */
const rowNames = (tapped: readonly string[], depth: number): string[] => {
  const shown = tapped.filter((n) => depthOf(n) <= depth);
  return shown.filter((n) => !shown.some((m) => m.startsWith(`${n}.`)));
};

/**
 * A model's summary for an input type, from shape inference alone: `init` and `apply` are
 * traced on placeholders and nothing runs, so ResNet-50 at 224x224 is summarised in well under
 * a second. Rows are the activations the layer taps (`sequential` names its children), their
 * params are those under their path, and their MACs those of the conv and matmul nodes that
 * the row's output needs and no earlier row's does. Totals cover the whole model. Figures are
 * for the input's batch, where a symbolic batch counts as 1. An input whose tensors would exceed
 * `MAX_SUMMARY_ELEMENTS` elements is refused with a LoomError naming its size.
 */
export const summarize = (
  layer: nn.Layer,
  spec: nn.InputSpec,
  opts: SummaryOptions = {},
): ModelSummary => {
  const depth = opts.depth ?? 2;
  if (!Number.isInteger(depth) || depth < 1) {
    throw new LoomError(
      "invalid_argument",
      "summarize",
      `depth must be a positive integer, got ${depth}`,
    );
  }
  checkSize(spec, undefined, spec.shape);
  const vars = varSpecs(layer, spec);
  for (const { path, leaf } of flattenTree(vars.params, isSpec))
    checkSize(spec, `parameter ${path}`, leaf.shape);
  const placeholders = (t: Tree<TensorSpec>, root: string) =>
    mapTree(t, isSpec, (s, path): Tensor => input(`${root}.${path}`, s.shape, s.dtype));
  const taps: { name: string; y: Tensor }[] = [];
  const x = input("x", spec.shape, spec.dtype ?? "float32");
  const { y } = layer.apply(
    placeholders(vars.params, "params"),
    placeholders(vars.state, "state"),
    x,
    {
      training: false,
      tap: (name, a) => void taps.push({ name, y: a }),
    },
  );
  for (const t of taps) checkSize(spec, `activation ${t.name}`, t.y.shape);
  checkSize(spec, "the output", y.shape);
  const paramLeaves = flattenTree(vars.params, isSpec).map(({ path, leaf }) => ({
    path,
    count: perExample(leaf.shape),
  }));
  const paramsUnder = (name: string) =>
    paramLeaves
      .filter(({ path }) => path === name || path.startsWith(`${name}.`))
      .reduce((s, p) => s + p.count, 0);
  const rows = new Set(
    rowNames(
      taps.map((t) => t.name),
      depth,
    ),
  );
  const seen = new Set<Node>();
  const layers: LayerSummary[] = taps
    .filter((t) => rows.has(t.name))
    .map((t) => ({
      name: t.name,
      outputShape: t.y.shape,
      params: paramsUnder(t.name),
      macs: newMacs(t.y, seen),
    }));
  const rest = newMacs(y, seen);
  return {
    params: paramLeaves.reduce((s, p) => s + p.count, 0),
    macs: layers.reduce((s, l) => s + l.macs, rest),
    layers,
  };
};
