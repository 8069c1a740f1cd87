import Graph from "graphology";
import type { GraphNode, Inspection } from "../model/types";

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

/** The full graph as graphology's directed graph: keys are node ids, edges input -> user. */
export const fullGraph = (data: Inspection): Graph<GraphNode> => {
  const g = new Graph<GraphNode>({ type: "directed", multi: false });
  for (const n of data.graph.nodes) g.addNode(String(n.id), n);
  for (const n of data.graph.nodes) for (const i of n.inputs) g.mergeEdge(String(i), String(n.id));
  return g;
};

/**
 * Each node's layer: its own path, else that of its first labelled user (a constant, a
 * broadcast or the images belong to the layer that reads them), else "(no layer)". Visited in
 * reverse topological order so a chain of unlabelled nodes takes its reader's layer.
 */
export const effectivePaths = (g: Graph<GraphNode>, nodes: readonly GraphNode[]): string[] => {
  const paths = nodes.map((n) => n.path);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (paths[i] !== undefined) continue;
    const user = g.outNeighbors(String(i)).find((u) => paths[Number(u)] !== undefined);
    paths[i] = user === undefined ? undefined : paths[Number(user)];
  }
  return paths.map((p) => p ?? "(no layer)");
};

/** The first `depth` segments of a path: the layer a collapsed box stands for. */
export const prefixOf = (path: string, depth: number): string =>
  path.split(".").slice(0, depth).join(".");

/**
 * The graph as drawn: nodes of collapsed layers merged into one box per layer prefix (of
 * `depth` segments), nodes of `expanded` prefixes shown one by one; edges between boxes once.
 */
export const quotient = (
  data: Inspection,
  g: Graph<GraphNode>,
  paths: readonly string[],
  depth: number,
  expanded: ReadonlySet<string>,
): Graph<Box> => {
  const q = new Graph<Box>({ type: "directed", multi: false });
  const keyOf = data.graph.nodes.map((n) => {
    const group = prefixOf(paths[n.id]!, depth);
    return expanded.has(group) ? `n${n.id}` : `g:${group}`;
  });
  for (const n of data.graph.nodes) {
    const key = keyOf[n.id]!;
    if (q.hasNode(key)) {
      (q.getNodeAttribute(key, "members") as number[]).push(n.id);
      continue;
    }
    const group = prefixOf(paths[n.id]!, depth);
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
  g.forEachEdge((_e, _a, src, dst) => {
    const a = keyOf[Number(src)]!;
    const b = keyOf[Number(dst)]!;
    if (a !== b) q.mergeEdge(a, b);
  });
  return q;
};
