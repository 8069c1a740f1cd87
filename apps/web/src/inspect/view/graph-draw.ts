import type { GraphNode, KernelInfo } from "../model/types";
import { s } from "./dom";
import type { Box } from "./graph-model";
import type { Layout } from "./layout";
import { boxSubtitle } from "./layout";

/** What the drawing needs besides the layout: the boxes, the stage's nodes, the handlers. */
export interface DrawContext {
  readonly box: (key: string) => Box;
  readonly nodes: readonly GraphNode[];
  readonly kernels: readonly KernelInfo[];
  /** The box drawn as selected. */
  readonly selected?: string;
  readonly onBox: (b: Box) => void;
  readonly onKernel: (id: number) => void;
}

const edgePath = (pts: readonly { x: number; y: number }[]): string =>
  pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");

/** A box's tooltip: what clicking it does. */
const tip = (b: Box, nodes: readonly GraphNode[]): string =>
  b.group === undefined
    ? `${b.label}\nlayer ${nodes[b.members[0]!]!.path ?? "?"}: click to select`
    : `${b.label}: click to expand`;

/** The SVG of one layout: kernel clusters under boxes under edges' arrows. */
export const drawLayout = (lay: Layout, c: DrawContext): SVGGElement =>
  s(
    "g",
    {},
    ...[...lay.clusters].map(([k, p]) =>
      s(
        "g",
        { class: "kernel-cluster", "data-kernel": k, onclick: () => c.onKernel(k) },
        s("rect", {
          x: p.x - p.width / 2,
          y: p.y - p.height / 2,
          width: p.width,
          height: p.height,
          rx: 6,
        }),
        s(
          "text",
          { x: p.x - p.width / 2 + 4, y: p.y - p.height / 2 + 11 },
          `k${k} ${c.kernels[k]?.kind ?? ""}`,
        ),
      ),
    ),
    ...lay.edges.map((e) =>
      s("path", { class: "edge", d: edgePath(e.points), "marker-end": "url(#insp-arrow)" }),
    ),
    ...[...lay.boxes].map(([key, p]) => {
      const b = c.box(key);
      const kernels = new Set(
        b.members.map((m) => c.nodes[m]!.kernel).filter((k) => k !== undefined),
      );
      const kind = b.group === undefined ? "node" : "group";
      return s(
        "g",
        {
          class: `box ${kind}${key === c.selected ? " selected" : ""}`,
          "data-key": key,
          transform: `translate(${p.x - p.width / 2},${p.y - p.height / 2})`,
          onclick: () => c.onBox(b),
        },
        s("rect", { width: p.width, height: p.height, rx: b.group === undefined ? 3 : 8 }),
        s("text", { x: 8, y: 15 }, b.label),
        b.group === undefined
          ? null
          : s("text", { x: 8, y: 30, class: "sub" }, boxSubtitle(b, kernels.size)),
        s("title", {}, tip(b, c.nodes)),
      );
    }),
  );
