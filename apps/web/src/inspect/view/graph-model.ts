import Graph from "graphology";
import type { GraphNode } from "../model/types";

/** A box of the drawn graph: one node, or a collapsed layer holding many. */
export interface Box {
  readonly key: string;
  readonly label: string;
  /** The full graph's nodes it stands for. */
  readonly members: readonly number[];
  /** The layer prefix of a collapsed box. */
  readonly group?: string;
  /** The kernel computing a single node, for clustering. */
  readonly kernel?: number;
  /** A collapsed layer's part of a training step: its forward nodes, or its backward and update. */
  readonly phase?: Phase;
}

/**
 * The part of a training step a node belongs to: forward; backward (what depends on the data
 * and no output but an update needs: gradients and the update using them); update (optimizer
 * arithmetic on its state alone, such as Adam's step count and bias corrections, shared by
 * every layer).
 */
export type Phase = "forward" | "backward" | "update";

/** Outputs a training step writes back, and inputs it reads that are not data. */
const UPDATE = /^(params|optState)\./;
const VARIABLES = /^(params|optState|state)\./;

/** A graph as graphology's directed graph: keys are node ids, edges input -> user. */
export const fullGraph = (nodes: readonly GraphNode[]): Graph<GraphNode> => {
  const g = new Graph<GraphNode>({ type: "directed", multi: false });
  for (const n of nodes) g.addNode(String(n.id), n);
  for (const n of nodes) for (const i of n.inputs) g.mergeEdge(String(i), String(n.id));
  return g;
};

/**
 * Each node's phase. Collapsing a layer's forward and backward nodes into one box made the drawn
 * graph cyclic (forward goes down the layers, backward comes up) and its edges span the whole
 * height; Adam's shared step arithmetic, labelled with the first layer, tied every layer's
 * update to it. Apart, the collapsed boxes form a DAG.
 */
export const phases = (nodes: readonly GraphNode[]): Phase[] => {
  const isOutput = (n: GraphNode) => n.name !== undefined && n.op !== "input";
  const training = nodes.some((n) => isOutput(n) && UPDATE.test(n.name!));
  const forward = nodes.map((n) => !training || (isOutput(n) && !UPDATE.test(n.name!)));
  // Nodes are numbered in topological order: users come after their inputs.
  for (let i = nodes.length - 1; i >= 0; i--)
    if (forward[i]) for (const j of nodes[i]!.inputs) forward[j] = true;
  const data: boolean[] = [];
  for (const n of nodes)
    data[n.id] = n.op === "input" ? !VARIABLES.test(n.name ?? "") : n.inputs.some((j) => data[j]);
  return nodes.map((n) => (forward[n.id] ? "forward" : data[n.id] ? "backward" : "update"));
};

/** The longest common dotted prefix of layer paths (`layer1.0` for `layer1.0.conv1` and `layer1.0.bn1`). */
const commonPrefix = (paths: readonly string[]): string => {
  const parts = paths.map((p) => p.split("."));
  const first = parts[0] ?? [];
  let n = 0;
  while (n < first.length && parts.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n).join(".");
};

/**
 * Each node's layer: its own path, else the layer all its users share (a constant, a broadcast
 * or the images belong to the layer that reads them; what several layers read, such as Adam's
 * bias corrections, belongs to their common parent, or to "(shared)"), else "(no layer)".
 * Visited in reverse topological order so a chain of unlabelled nodes takes its readers' layer.
 */
export const effectivePaths = (g: Graph<GraphNode>, nodes: readonly GraphNode[]): string[] => {
  const paths: string[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const users = g.outNeighbors(String(i)).map((u) => paths[Number(u)]!);
    const own = nodes[i]!.path;
    paths[i] = own ?? (users.length === 0 ? "(no layer)" : commonPrefix(users) || "(shared)");
  }
  return paths;
};

/** The first `depth` segments of a path: the layer a collapsed box stands for. */
export const prefixOf = (path: string, depth: number): string =>
  path.split(".").slice(0, depth).join(".");

/** A collapsed layer's box key: its forward part keeps the layer's name, other parts add theirs. */
export const groupKey = (group: string, phase: Phase): string =>
  phase === "forward" ? `g:${group}` : `g:${group}:${phase}`;

/** A layer's collapsed box. */
const groupBox = (key: string, group: string, phase: Phase, id: number): Box => ({
  key,
  label: phase === "forward" ? group : `${group} (${phase})`,
  members: [id],
  group,
  phase,
});

/** What the drawn graph is made of: one stage's nodes, their layers and phases. */
export interface DrawnGraph {
  readonly nodes: readonly GraphNode[];
  readonly g: Graph<GraphNode>;
  readonly paths: readonly string[];
  readonly phases: readonly Phase[];
}

/** The graph of `nodes` with each node's layer and phase, ready to be collapsed. */
export const drawnGraph = (nodes: readonly GraphNode[]): DrawnGraph => {
  const g = fullGraph(nodes);
  return { nodes, g, paths: effectivePaths(g, nodes), phases: phases(nodes) };
};

/**
 * The graph as drawn: nodes of collapsed layers merged into one box per layer prefix (of
 * `depth` segments) and phase, nodes of `expanded` prefixes shown one by one; edges between
 * boxes once.
 */
export const quotient = (
  d: DrawnGraph,
  depth: number,
  expanded: ReadonlySet<string>,
): Graph<Box> => {
  const q = new Graph<Box>({ type: "directed", multi: false });
  const keyOf = d.nodes.map((n) => {
    const group = prefixOf(d.paths[n.id]!, depth);
    if (expanded.has(group)) return `n${n.id}`;
    return groupKey(group, d.phases[n.id]!);
  });
  for (const n of d.nodes) {
    const key = keyOf[n.id]!;
    if (q.hasNode(key)) {
      (q.getNodeAttribute(key, "members") as number[]).push(n.id);
      continue;
    }
    const group = prefixOf(d.paths[n.id]!, depth);
    q.addNode(
      key,
      key.startsWith("g:")
        ? groupBox(key, group, d.phases[n.id]!, n.id)
        : {
            key,
            label: `%${n.id} ${n.op}${n.name ? ` ${n.name}` : ""} [${n.shape.join(",")}]`,
            members: [n.id],
            ...(n.kernel === undefined ? {} : { kernel: n.kernel }),
          },
    );
  }
  d.g.forEachEdge((_e, _a, src, dst) => {
    const a = keyOf[Number(src)]!;
    const b = keyOf[Number(dst)]!;
    if (a !== b) q.mergeEdge(a, b);
  });
  return q;
};
