import type { Inspection } from "../model/types";
import { formatCount, formatShape, h } from "./dom";

/** The Summary panel: per layer its output shape, parameters and MACs (from `summarize`). */
export const summaryView = (data: Inspection): HTMLElement =>
  h(
    "section",
    { class: "insp-panel", "data-panel": "summary" },
    h(
      "h3",
      {},
      `${formatCount(data.summary.params)} parameters, ${formatCount(data.summary.macs)} MACs per batch of ${data.subject.batch}`,
    ),
    h(
      "table",
      { class: "insp-table summary" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["layer", "output", "params", "MACs"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        ...data.summary.layers.map((l) =>
          h(
            "tr",
            {},
            h("td", {}, h("code", {}, l.name)),
            h("td", {}, formatShape(l.outputShape)),
            h("td", { class: "num" }, formatCount(l.params)),
            h("td", { class: "num" }, formatCount(l.macs)),
          ),
        ),
      ),
    ),
  );
