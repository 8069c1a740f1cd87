import dagre from "@dagrejs/dagre";
import type Graph from "graphology";
import type { Box } from "./graph-model";

/** A placed box: centre, size. */
export interface Placed {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The drawn graph's geometry: boxes, kernel clusters around their nodes, edge polylines. */
export interface Layout {
  readonly boxes: ReadonlyMap<string, Placed>;
  readonly clusters: ReadonlyMap<number, Placed>;
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly points: readonly { x: number; y: number }[];
  }[];
  readonly width: number;
  readonly height: number;
}

const CHAR = 6.6;

/** The second line of a collapsed layer's box. */
export const boxSubtitle = (b: Box, kernels: number): string =>
  `${b.members.length} nodes · ${kernels} kernels`;

/** A box's size from its label and, for a collapsed layer, its second line (at most 9,999 nodes). */
const sizeOf = (b: Box): { width: number; height: number } => ({
  width: Math.max(60, Math.max(b.label.length, b.group === undefined ? 0 : 24) * CHAR + 16),
  height: b.group === undefined ? 24 : 38,
});

/** What a layout needs, as plain data that can be posted to a worker. */
export interface LayoutInput {
  readonly boxes: readonly {
    readonly key: string;
    readonly width: number;
    readonly height: number;
    /** The kernel whose cluster the box is drawn in. */
    readonly kernel?: number;
  }[];
  readonly edges: readonly (readonly [string, string])[];
}

/** The layout input of a drawn graph: each box's size and kernel, and the edges. */
export const layoutInput = (q: Graph<Box>): LayoutInput => ({
  boxes: q.mapNodes((key, b) => ({
    key,
    ...sizeOf(b),
    ...(b.kernel === undefined ? {} : { kernel: b.kernel }),
  })),
  edges: q.mapEdges((_e, _a, src, dst) => [src, dst] as const),
});

/**
 * Lays the drawn graph out top to bottom with dagre (the layered, Sugiyama-style layout that
 * suits a data-flow DAG); single nodes computed by one kernel are put in a compound cluster
 * per kernel, so a fused kernel is drawn around the nodes it absorbed. Pure and synchronous:
 * the view runs it in a worker (layout-worker.ts).
 */
export const layoutBoxes = (input: LayoutInput): Layout => {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: 14, ranksep: 28, edgesep: 6, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const kernels = new Set<number>();
  for (const b of input.boxes) {
    g.setNode(b.key, { width: b.width, height: b.height });
    if (b.kernel !== undefined) {
      const cluster = `k${b.kernel}`;
      if (!kernels.has(b.kernel)) {
        kernels.add(b.kernel);
        g.setNode(cluster, {});
      }
      g.setParent(b.key, cluster);
    }
  }
  for (const [src, dst] of input.edges) g.setEdge(src, dst);
  dagre.layout(g);
  const placed = (key: string): Placed => {
    const n = g.node(key) as Placed;
    return { x: n.x, y: n.y, width: n.width, height: n.height };
  };
  const graph = g.graph() as { width?: number; height?: number };
  return {
    boxes: new Map(input.boxes.map((b) => [b.key, placed(b.key)] as const)),
    clusters: new Map([...kernels].map((k) => [k, placed(`k${k}`)] as const)),
    edges: input.edges.map(([src, dst]) => ({
      from: src,
      to: dst,
      points:
        (g.edge(src, dst) as { points?: { x: number; y: number }[] } | undefined)?.points ?? [],
    })),
    width: graph.width ?? 0,
    height: graph.height ?? 0,
  };
};
