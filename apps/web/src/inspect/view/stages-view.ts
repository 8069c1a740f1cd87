import type { Inspection } from "../model/types";
import { formatCount, h } from "./dom";

/** The Stages panel: one row per pipeline stage with its counts and what it removed or merged. */
export const stagesView = (data: Inspection): HTMLElement =>
  h(
    "section",
    { class: "insp-panel", "data-panel": "stages" },
    h("h3", {}, "Pipeline stages"),
    h(
      "table",
      { class: "insp-table stages" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["#", "stage", "kind", "nodes", "kernels", "what changed"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        ...data.stages.map((st, i) =>
          h(
            "tr",
            { "data-stage": st.name },
            h("td", {}, i),
            h("td", {}, h("code", {}, st.name)),
            h("td", {}, st.kind),
            h("td", { class: "num" }, formatCount(st.nodes)),
            h("td", { class: "num" }, formatCount(st.kernels)),
            h("td", {}, h("ul", { class: "changes" }, ...st.changes.map((c) => h("li", {}, c)))),
          ),
        ),
      ),
    ),
  );
