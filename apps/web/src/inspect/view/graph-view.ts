import type { GraphNode, Inspection } from "../model/types";
import { h, s } from "./dom";
import { drawLayout } from "./graph-draw";
import type { Box, DrawnGraph } from "./graph-model";
import { drawnGraph, prefixOf, quotient } from "./graph-model";
import type { Layout } from "./layout";
import { layoutInput } from "./layout";
import { layoutRunner } from "./layout-runner";
import { panZoom } from "./pan-zoom";
import type { Selection } from "./selection";
import { selectedKey, selectionOf, signatures } from "./selection";

/** Options of the Graph panel. */
export interface GraphViewOptions {
  /** Called when a kernel cluster (or a selected node's kernel) is opened. */
  readonly onKernel: (id: number) => void;
  /** Layer-path depth of the collapsed boxes (default 2: `layer1.0`). */
  readonly depth?: number;
}

/**
 * The most boxes the panel lays out: dagre takes about a second for a hundred boxes here and
 * did not finish ResNet-50's 6,427-node training step in ten minutes.
 */
const MAX_BOXES = 400;

/** The nodes a stage draws: a graph stage's own graph, or the lowered graph with its kernels. */
const stageNodes = (data: Inspection, stage: string): readonly GraphNode[] =>
  data.stageGraphs.find((g) => g.stage === stage)?.nodes ?? data.graph.nodes;

/** One line about a selected node: op, shape, layer and kernel. */
const nodeLine = (n: GraphNode, path: string): string =>
  `%${n.id} ${n.op} ${n.dtype}[${n.shape.join(",")}] · layer ${path}${n.name ? ` · ${n.name}` : ""}${n.kernel === undefined ? "" : ` · kernel k${n.kernel}`}`;

/**
 * The Graph panel: any stage's graph (traced, shapes inferred, simplified; the plan stages draw
 * the lowered graph in kernel clusters), laid out by dagre in a worker and drawn in SVG,
 * collapsed by layer (a box per pytree path prefix). Clicking a layer expands it;
 * clicking a node selects it; clicking a cluster shows its kernel. Switching stages keeps the
 * expanded layers and the selection where the stage still has them. Pan with the mouse, zoom
 * with the wheel, search by op, layer path or input name.
 */
export const graphView = (data: Inspection, opts: GraphViewOptions): HTMLElement => {
  const stages = data.stages.map((r) => r.name);
  let stage = stages.at(-1) ?? "";
  const drawn = new Map<string, { d: DrawnGraph; sigs: string[] }>();
  const graphOf = (name: string) => {
    const nodes = stageNodes(data, name);
    const hit = [...drawn.values()].find((x) => x.d.nodes === nodes);
    const made = hit ?? { d: drawnGraph(nodes), sigs: [] as string[] };
    if (hit === undefined) made.sigs = signatures(made.d);
    drawn.set(name, made);
    return made;
  };
  const expanded = new Set<string>();
  let depth = opts.depth ?? 2;
  let selection: Selection | undefined;
  let term = "";
  const runner = layoutRunner();
  const layer = s("g", { class: "viewport" });
  const svg = s(
    "svg",
    { class: "graph-svg", role: "img", "aria-label": "the graph of the chosen stage" },
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
  const busy = h("span", { class: "graph-progress", role: "status", hidden: true });
  const selected = h("div", { class: "graph-selected", "aria-live": "polite" });
  let current: { q: ReturnType<typeof quotient>; lay: Layout; d: DrawnGraph } | undefined;
  /** Scales the whole layout into the panel (never above 1:1). */
  const fit = () => {
    const r = svg.getBoundingClientRect();
    if (current === undefined || r.width === 0) return;
    const { width, height } = current.lay;
    centre(width / 2, height / 2, Math.min(1, r.width / (width + 20), r.height / (height + 20)));
  };
  /** Marks the boxes matching the search term and centres the first. */
  const highlight = (): void => {
    if (current === undefined) return;
    const { q, d } = current;
    const hits: string[] = [];
    q.forEachNode((key, b) => {
      const match =
        term !== "" &&
        (b.label.toLowerCase().includes(term) ||
          b.members.some((m) => {
            const n = d.nodes[m]!;
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
  };
  /** Says what is selected, or that this stage no longer has it. */
  const describe = (key: string | undefined, d: DrawnGraph): void => {
    if (selection === undefined) return void selected.replaceChildren();
    if (key === undefined)
      return void selected.replaceChildren(`The selected node is not in the ${stage} stage.`);
    const n = key.startsWith("n") ? d.nodes[Number(key.slice(1))] : undefined;
    if (n === undefined)
      return void selected.replaceChildren(
        `The selected node is inside the collapsed layer ${key.replace(/^g:/, "")}.`,
      );
    selected.replaceChildren(
      `Selected: ${nodeLine(n, d.paths[n.id]!)} `,
      ...(n.kernel === undefined
        ? []
        : [
            h(
              "button",
              { type: "button", onclick: () => opts.onKernel(n.kernel!) },
              `open kernel k${n.kernel}`,
            ),
          ]),
    );
  };
  let renders = 0;
  const render = async (refit = false): Promise<void> => {
    const t0 = performance.now();
    const { d, sigs } = graphOf(stage);
    const q = quotient(d, depth, expanded);
    if (q.order > MAX_BOXES && current !== undefined) {
      // Undo the expansion: dagre needs minutes past a few thousand boxes (docs/ARCHITECTURE.md).
      expanded.clear();
      for (const key of current.q.nodes()) {
        const b = current.q.getNodeAttributes(key);
        if (b.group === undefined) expanded.add(prefixOf(current.d.paths[b.members[0]!]!, depth));
      }
      info.textContent = `${q.order} boxes would be too many to lay out (at most ${MAX_BOXES}); expand fewer layers or collapse deeper`;
      return;
    }
    const ticket = ++renders;
    svg.setAttribute("aria-busy", "true");
    busy.hidden = false;
    const tick = () =>
      (busy.textContent = `laying out ${q.order} boxes… ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    tick();
    const timer = setInterval(tick, 100);
    const result = await runner.run(layoutInput(q)).finally(() => clearInterval(timer));
    if (result === undefined || ticket !== renders) return;
    busy.hidden = true;
    svg.removeAttribute("aria-busy");
    const key = selectedKey(selection, d, sigs, depth, expanded);
    layer.replaceChildren(
      drawLayout(result.layout, {
        box: (k) => q.getNodeAttributes(k),
        nodes: d.nodes,
        kernels: data.kernels,
        ...(key === undefined ? {} : { selected: key }),
        onBox: (b: Box) => {
          // A layer's box expands it; a node is selected.
          if (b.group !== undefined) expanded.add(b.group);
          else selection = selectionOf(b, sigs);
          void render();
        },
        onKernel: opts.onKernel,
      }),
    );
    current = { q, lay: result.layout, d };
    describe(key, d);
    highlight();
    const ms = performance.now() - t0;
    svg.setAttribute("data-stage", stage);
    svg.setAttribute("data-render-ms", ms.toFixed(0));
    svg.setAttribute("data-layout-ms", result.ms.toFixed(0));
    svg.setAttribute("data-layout-in", result.where);
    svg.setAttribute("data-boxes", String(q.order));
    info.textContent = `${stage}: ${d.nodes.length} nodes drawn as ${q.order} boxes, ${q.size} edges · laid out in ${result.ms.toFixed(0)} ms (${result.where === "worker" ? "in a worker" : "in the page"}), shown after ${ms.toFixed(0)} ms`;
    if (refit) fit();
  };
  const search = h("input", {
    type: "search",
    placeholder: "search op, layer or name",
    "aria-label": "search the graph",
    onkeydown: (e: Event) => {
      if ((e as KeyboardEvent).key !== "Enter") return;
      term = (e.target as HTMLInputElement).value.trim().toLowerCase();
      highlight();
    },
  });
  const found = h("span", { class: "found", "aria-live": "polite" });
  const stageSelect = h(
    "select",
    {
      "aria-label": "stage",
      name: "stage",
      onchange: (e: Event) => {
        stage = (e.target as HTMLSelectElement).value;
        void render(true);
      },
    },
    ...stages.map((name) => h("option", { value: name, selected: name === stage }, name)),
  );
  const depthSelect = h(
    "select",
    {
      "aria-label": "collapse depth",
      onchange: (e: Event) => {
        depth = Number((e.target as HTMLSelectElement).value);
        expanded.clear();
        void render(true);
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
      h("label", {}, "stage ", stageSelect),
      search,
      found,
      depthSelect,
      h(
        "button",
        { type: "button", onclick: () => (expanded.clear(), void render()) },
        "collapse all",
      ),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            for (const p of graphOf(stage).d.paths) expanded.add(prefixOf(p, depth));
            void render();
          },
        },
        "expand all",
      ),
      h("button", { type: "button", onclick: () => fit() }, "fit"),
    ),
    h("div", { class: "graph-status" }, info, busy),
    selected,
    svg,
  );
  // The panel has a size only once it is in the page, after the first layout at the earliest.
  void render(true);
  return panel;
};
