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
}

/** A graph as graphology's directed graph: keys are node ids, edges input -> user. */
export const fullGraph = (nodes: readonly GraphNode[]): Graph<GraphNode> => {
  const g = new Graph<GraphNode>({ type: "directed", multi: false });
  for (const n of nodes) g.addNode(String(n.id), n);
  for (const n of nodes) for (const i of n.inputs) g.mergeEdge(String(i), String(n.id));
  return g;
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

/** A collapsed layer's box key. */
export const groupKey = (group: string): string => `g:${group}`;

/** What the drawn graph is made of: one stage's nodes and their layers. */
export interface DrawnGraph {
  readonly nodes: readonly GraphNode[];
  readonly g: Graph<GraphNode>;
  readonly paths: readonly string[];
}

/** The graph of `nodes` with each node's layer, ready to be collapsed. */
export const drawnGraph = (nodes: readonly GraphNode[]): DrawnGraph => {
  const g = fullGraph(nodes);
  return { nodes, g, paths: effectivePaths(g, nodes) };
};

/**
 * The graph as drawn: nodes of collapsed layers merged into one box per layer prefix (of
 * `depth` segments), nodes of `expanded` prefixes shown one by one; edges between boxes once.
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
    return groupKey(group);
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
        ? { key, label: group, members: [n.id], group }
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
