/**
 * The Train / Inspect switch of the web app. The Inspect view (and the library it runs in the
 * page) is loaded only when first opened, so the training page stays as light as before.
 */
import "./inspector.css";
import type { InspectPanel } from "./inspect-panel";
import type { TrainedModel } from "./trained";
import { h } from "./view/dom";

/**
 * Adds the Train / Inspect switch under the page's header; the Inspect view is built on first
 * use and opens at once when the URL says `view=inspect`. `trained` reports the app's model in
 * training, which the view offers to inspect.
 */
export const addInspectView = (trained?: () => TrainedModel | undefined): void => {
  const header = document.querySelector("header");
  const main = document.querySelector("main");
  if (header === null || main === null) return;
  let panel: InspectPanel | undefined;
  const buttons = ["Train", "Inspect"].map((name) =>
    h(
      "button",
      { type: "button", "aria-pressed": String(name === "Train"), onclick: () => void show(name) },
      name,
    ),
  );
  const show = async (name: string) => {
    if (name === "Inspect" && panel === undefined) {
      panel = (await import("./inspect-panel")).inspectPanel(trained);
      main.after(panel.el);
    }
    if (name === "Inspect") panel?.refresh();
    // `hidden` loses to the layout's `display: grid`, so the style says it.
    main.style.display = name === "Train" ? "" : "none";
    if (panel) panel.el.style.display = name === "Inspect" ? "" : "none";
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.textContent === name));
  };
  header.after(h("nav", { class: "app-views", "aria-label": "views" }, ...buttons));
  if (new URLSearchParams(location.search).get("view") === "inspect")
    void show("Inspect").then(() => panel?.el.querySelector("form")?.requestSubmit());
};
