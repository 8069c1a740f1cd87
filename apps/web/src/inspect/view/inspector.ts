import { setupText } from "../model/setup-text";
import type { Inspection } from "../model/types";
import { h } from "./dom";
import { graphView } from "./graph-view";
import { kernelsView } from "./kernels-view";
import { memoryView } from "./memory-view";
import { stagesView } from "./stages-view";
import { summaryView } from "./summary-view";

const PANELS = ["Stages", "Graph", "Kernels", "Memory", "Summary"] as const;

/** A one-line title of what was inspected. */
const title = (d: Inspection): string =>
  `${d.subject.model} · ${d.subject.train ? "training step" : "forward"} · input [${d.subject.input.join(",")}] · batch ${d.subject.batch}${d.subject.setup ? ` · as trained in the app: ${setupText(d.subject.setup)}` : ""}`;

/**
 * Draws an inspection into `root`: a tab per panel (Stages, Graph, Kernels, Memory, Summary).
 * Panels are built when first shown, so a huge graph costs nothing until the Graph tab opens;
 * a kernel clicked in the graph opens the Kernels tab on it.
 */
export const mountInspector = (
  root: HTMLElement,
  data: Inspection,
  first: (typeof PANELS)[number] = "Stages",
): void => {
  const built = new Map<string, HTMLElement>();
  const kernels = kernelsView(data);
  const make = (name: string): HTMLElement => {
    switch (name) {
      case "Stages":
        return stagesView(data);
      case "Graph":
        return graphView(data, { onKernel: (id) => (show("Kernels"), kernels.show(id)) });
      case "Kernels":
        return kernels.el;
      case "Memory":
        return memoryView(data);
      default:
        return summaryView(data);
    }
  };
  const body = h("div", { class: "insp-body" });
  const tabs = PANELS.map((p) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        "data-tab": p,
        "aria-selected": "false",
        onclick: () => show(p),
      },
      p,
    ),
  );
  const show = (name: string) => {
    if (!built.has(name)) {
      const el = make(name);
      built.set(name, el);
      body.append(el);
    }
    for (const [n, el] of built) el.hidden = n !== name;
    for (const t of tabs) t.setAttribute("aria-selected", String(t.dataset["tab"] === name));
  };
  root.replaceChildren(
    h(
      "div",
      { class: "inspector" },
      h("p", { class: "insp-title" }, title(data)),
      h("div", { class: "insp-tabs", role: "tablist", "aria-label": "inspector panels" }, ...tabs),
      body,
    ),
  );
  show(first);
};
