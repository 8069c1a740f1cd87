import type { Inspection } from "../model/types";
import { h, s } from "./dom";
import type { Box } from "./graph-model";
import { effectivePaths, fullGraph, prefixOf, quotient } from "./graph-model";
import type { Layout } from "./layout";
import { boxSubtitle, layoutGraph } from "./layout";
import { panZoom } from "./pan-zoom";

/** Options of the Graph panel. */
export interface GraphViewOptions {
  /** Called when a kernel cluster is clicked. */
  readonly onKernel: (id: number) => void;
  /** Layer-path depth of the collapsed boxes (default 2: `layer1.0`). */
  readonly depth?: number;
}

/**
 * The most boxes the panel lays out: dagre takes about a second for a hundred boxes here and
 * did not finish ResNet-50's 6,427-node training step in ten minutes.
 */
const MAX_BOXES = 400;

const edgePath = (pts: readonly { x: number; y: number }[]): string =>
  pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");

/** The SVG of one layout: clusters under boxes under edges' arrows. */
const drawLayout = (
  q: { getNodeAttributes: (k: string) => Box },
  lay: Layout,
  data: Inspection,
  onBox: (b: Box) => void,
  onKernel: (id: number) => void,
): SVGGElement =>
  s(
    "g",
    {},
    ...[...lay.clusters].map(([k, c]) =>
      s(
        "g",
        { class: "kernel-cluster", "data-kernel": k, onclick: () => onKernel(k) },
        s("rect", {
          x: c.x - c.width / 2,
          y: c.y - c.height / 2,
          width: c.width,
          height: c.height,
          rx: 6,
        }),
        s(
          "text",
          { x: c.x - c.width / 2 + 4, y: c.y - c.height / 2 + 11 },
          `k${k} ${data.kernels[k]?.kind ?? ""}`,
        ),
      ),
    ),
    ...lay.edges.map((e) =>
      s("path", { class: "edge", d: edgePath(e.points), "marker-end": "url(#insp-arrow)" }),
    ),
    ...[...lay.boxes].map(([key, p]) => {
      const b = q.getNodeAttributes(key);
      const kernels = new Set(
        b.members.map((m) => data.graph.nodes[m]!.kernel).filter((k) => k !== undefined),
      );
      return s(
        "g",
        {
          class: b.group === undefined ? "box node" : "box group",
          "data-key": key,
          transform: `translate(${p.x - p.width / 2},${p.y - p.height / 2})`,
          onclick: () => onBox(b),
        },
        s("rect", { width: p.width, height: p.height, rx: b.group === undefined ? 3 : 8 }),
        s("text", { x: 8, y: 15 }, b.label),
        b.group === undefined
          ? null
          : s("text", { x: 8, y: 30, class: "sub" }, boxSubtitle(b, kernels.size)),
        s(
          "title",
          {},
          b.group === undefined
            ? `${b.label}\nlayer ${data.graph.nodes[b.members[0]!]!.path ?? "?"}: click for its kernel`
            : `${b.label}: click to expand`,
        ),
      );
    }),
  );

/**
 * The Graph panel: the lowered graph laid out with dagre in SVG, collapsed by layer (boxes per
 * pytree path prefix) by default; clicking a layer expands it to its nodes, grouped in kernel
 * clusters; clicking a cluster shows its kernel. Pan with the mouse, zoom with the wheel,
 * search by op, layer path or input name.
 */
export const graphView = (data: Inspection, opts: GraphViewOptions): HTMLElement => {
  const full = fullGraph(data);
  const paths = effectivePaths(full, data.graph.nodes);
  const expanded = new Set<string>();
  let depth = opts.depth ?? 2;
  const layer = s("g", { class: "viewport" });
  const svg = s(
    "svg",
    { class: "graph-svg", role: "img", "aria-label": "the lowered graph" },
    s(
      "defs",
      {},
      s(
        "marker",
        {
          id: "insp-arrow",
          viewBox: "0 0 8 8",
          refX: 8,
          refY: 4,
          markerWidth: 6,
          markerHeight: 6,
          orient: "auto",
        },
        s("path", { d: "M0,0 L8,4 L0,8 z" }),
      ),
    ),
    layer,
  );
  const { centre } = panZoom(svg, layer);
  const info = h("span", { class: "graph-info" });
  /** Scales the whole layout into the panel (never above 1:1). */
  const fit = () => {
    const r = svg.getBoundingClientRect();
    if (current === undefined || r.width === 0) return;
    const { width, height } = current.lay;
    centre(width / 2, height / 2, Math.min(1, r.width / (width + 20), r.height / (height + 20)));
  };
  let current: { q: ReturnType<typeof quotient>; lay: Layout } | undefined;
  const render = (): void => {
    const t0 = performance.now();
    const q = quotient(data, full, paths, depth, expanded);
    if (q.order > MAX_BOXES && current !== undefined) {
      // Undo the expansion: dagre needs minutes past a few thousand boxes (docs/ARCHITECTURE.md).
      expanded.clear();
      for (const key of current.q.nodes()) {
        const b = current.q.getNodeAttributes(key);
        if (b.group === undefined) expanded.add(prefixOf(paths[b.members[0]!]!, depth));
      }
      info.textContent = `${q.order} boxes would be too many to lay out (at most ${MAX_BOXES}); expand fewer layers or collapse deeper`;
      return;
    }
    const lay = layoutGraph(q);
    layer.replaceChildren(
      drawLayout(
        q,
        lay,
        data,
        (b) => {
          // A layer's box expands it; a node shows the kernel that computes it.
          if (b.group === undefined) {
            if (b.kernel !== undefined) opts.onKernel(b.kernel);
            return;
          }
          expanded.add(b.group);
          render();
        },
        opts.onKernel,
      ),
    );
    current = { q, lay };
    const ms = performance.now() - t0;
    svg.setAttribute("data-render-ms", ms.toFixed(0));
    svg.setAttribute("data-boxes", String(q.order));
    info.textContent = `${data.graph.nodes.length} nodes drawn as ${q.order} boxes, ${q.size} edges · laid out and drawn in ${ms.toFixed(0)} ms`;
  };
  const search = h("input", {
    type: "search",
    placeholder: "search op, layer or name",
    "aria-label": "search the graph",
    onkeydown: (e: Event) => {
      if ((e as KeyboardEvent).key !== "Enter" || current === undefined) return;
      const term = (e.target as HTMLInputElement).value.trim().toLowerCase();
      const hits: string[] = [];
      current.q.forEachNode((key, b) => {
        const match =
          term !== "" &&
          (b.label.toLowerCase().includes(term) ||
            b.members.some((m) => {
              const n = data.graph.nodes[m]!;
              return (
                n.op === term ||
                (n.path ?? "").toLowerCase().includes(term) ||
                (n.name ?? "").toLowerCase().includes(term)
              );
            }));
        if (match) hits.push(key);
      });
      for (const el of layer.querySelectorAll(".box"))
        el.classList.toggle("match", hits.includes(el.getAttribute("data-key")!));
      found.textContent = term === "" ? "" : `${hits.length} boxes match`;
      const first = hits[0] === undefined ? undefined : current.lay.boxes.get(hits[0]);
      if (first) centre(first.x, first.y, 1);
    },
  });
  const found = h("span", { class: "found", "aria-live": "polite" });
  const depthSelect = h(
    "select",
    {
      "aria-label": "collapse depth",
      onchange: (e: Event) => {
        depth = Number((e.target as HTMLSelectElement).value);
        expanded.clear();
        render();
      },
    },
    ...[1, 2, 3, 4].map((d) =>
      h("option", { value: d, selected: d === depth }, `collapse at depth ${d}`),
    ),
  );
  const panel = h(
    "section",
    { class: "insp-panel", "data-panel": "graph" },
    h(
      "div",
      { class: "graph-tools" },
      search,
      found,
      depthSelect,
      h("button", { type: "button", onclick: () => (expanded.clear(), render()) }, "collapse all"),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            for (const p of paths) expanded.add(prefixOf(p, depth));
            render();
          },
        },
        "expand all",
      ),
      h("button", { type: "button", onclick: () => fit() }, "fit"),
    ),
    info,
    svg,
  );
  render();
  // The panel has a size only once it is in the page.
  requestAnimationFrame(fit);
  return panel;
};
