/**
 * The web app's Inspect view: a control bar (model, input size, batch, forward or training
 * step, backend) that builds the inspection in the page, profiles the kernels on the chosen
 * backend, and draws the inspector. Loaded by `addInspectView` when first opened.
 */
import { cpuBackend } from "@loom/backend-cpu";
import { webglBackend } from "@loom/backend-webgl";
import { getModel, MODEL_NAMES } from "@loom/models";
import { profileKernels, runInspection, setupText, toInspection } from "./model";
import type { InspectRequest } from "./model";
import type { TrainedModel } from "./trained";
import { h } from "./view/dom";
import { mountInspector } from "./view/inspector";

/** The controls' state, read from and written back to the URL (`?view=inspect&model=lenet&train=1`). */
interface InspectForm {
  readonly model: string;
  readonly input: string;
  readonly batch: number;
  readonly train: boolean;
  readonly backend: "cpu" | "webgl" | "none";
}

/** The model picker's value for the app's model in training. */
const TRAINED = "trained";

const fromUrl = (q: URLSearchParams): InspectForm => ({
  model: [...MODEL_NAMES, TRAINED].includes(q.get("model") ?? "") ? q.get("model")! : "lenet",
  input: q.get("input") ?? "",
  batch: Math.max(1, Number(q.get("batch") ?? 16) || 16),
  train: q.get("train") !== "0",
  backend: (["cpu", "webgl", "none"] as const).find((b) => b === q.get("backend")) ?? "cpu",
});

/** Builds, profiles and returns the inspection the form asks for (`trained`: the app's model in training). */
const inspectForm = async (f: InspectForm, trained: TrainedModel | undefined) => {
  const input = f.input.trim() === "" ? undefined : f.input.split(/[x,]/).map(Number);
  if (f.model === TRAINED && trained === undefined)
    throw new Error("no model is in training: train or load one in the Train view first");
  const request: InspectRequest = {
    model: f.model === TRAINED ? trained!.model : f.model,
    train: f.train,
    batch: f.batch,
    ...(input === undefined ? {} : { input }),
    ...(f.model === TRAINED ? { setup: trained!.setup } : {}),
    inPlace: f.backend !== "webgl",
  };
  const report = runInspection(request);
  if (f.backend === "none") return toInspection(request, report);
  const ms = await profileKernels(report.planned, (profile) =>
    f.backend === "cpu" ? cpuBackend({ profile, threads: 1 }) : webglBackend({ profile }),
  );
  return toInspection(request, report, { backend: f.backend, ms });
};

/** The model picker's entry for the app's model in training (disabled while there is none). */
const trainedOption = (t: TrainedModel | undefined): string =>
  t === undefined
    ? "the model in training (none yet)"
    : `the model in training: ${t.model} · ${setupText(t.setup)} (${t.from})`;

/** The Inspect view: its element, and `refresh`, which re-reads the app's model in training. */
export interface InspectPanel {
  readonly el: HTMLElement;
  readonly refresh: () => void;
}

/**
 * The control bar and the inspector's root, in one element; `trained` reports the app's model
 * in training, which the model picker offers first.
 */
export const inspectPanel = (
  trained: () => TrainedModel | undefined = () => undefined,
): InspectPanel => {
  const f = fromUrl(new URLSearchParams(location.search));
  const inTraining = h(
    "option",
    { value: TRAINED, selected: f.model === TRAINED },
    trainedOption(trained()),
  );
  const model = h(
    "select",
    { name: "model" },
    inTraining,
    ...MODEL_NAMES.map((m) => h("option", { value: m, selected: m === f.model }, m)),
  );
  const input = h("input", { name: "input", value: f.input, placeholder: "default", size: 10 });
  const batch = h("input", { name: "batch", type: "number", min: 1, value: f.batch, size: 4 });
  const train = h(
    "select",
    { name: "train" },
    h("option", { value: "1", selected: f.train }, "training step"),
    h("option", { value: "0", selected: !f.train }, "forward"),
  );
  const backend = h(
    "select",
    { name: "backend" },
    ...(["cpu", "webgl", "none"] as const).map((b) =>
      h("option", { value: b, selected: b === f.backend }, b === "none" ? "no profiling" : b),
    ),
  );
  const status = h("span", { class: "inspect-status", role: "status", "aria-live": "polite" });
  const root = h("div", { id: "inspector" });
  const read = (): InspectForm => ({
    model: model.value,
    input: input.value,
    batch: Number(batch.value) || 1,
    train: train.value === "1",
    backend: backend.value as InspectForm["backend"],
  });
  const run = async () => {
    const form = read();
    const q = new URLSearchParams(location.search);
    q.set("view", "inspect");
    for (const [k, v] of Object.entries(form))
      q.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
    history.replaceState(null, "", `?${q}`);
    status.textContent = `Inspecting ${form.model}…`;
    const t0 = performance.now();
    try {
      // Let the status paint before the synchronous pipeline run.
      await new Promise((r) => setTimeout(r, 0));
      const data = await inspectForm(form, trained());
      mountInspector(root, data);
      status.textContent = `${form.model}: ${data.kernels.length} kernels, inspected in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    } catch (e) {
      status.textContent = `Could not inspect ${form.model}: ${(e as Error).message}`;
    }
  };
  const placeholder = () => {
    const name = model.value === TRAINED ? trained()?.model : model.value;
    input.placeholder = name === undefined ? "" : getModel(name).input.join("x");
  };
  model.addEventListener("change", () => {
    const t = trained();
    if (model.value === TRAINED && t !== undefined) batch.value = String(t.batchSize);
    placeholder();
  });
  placeholder();
  const refresh = () => {
    const t = trained();
    inTraining.textContent = trainedOption(t);
    inTraining.disabled = t === undefined && model.value !== TRAINED;
    placeholder();
  };
  refresh();
  const el = h(
    "section",
    { id: "inspect-view", class: "inspect-view", "aria-label": "Inspect" },
    h(
      "form",
      { class: "inspect-controls", onsubmit: (e: Event) => (e.preventDefault(), void run()) },
      h("label", {}, "model", model),
      h("label", {}, "input (CxHxW)", input),
      h("label", {}, "batch", batch),
      h("label", {}, "graph", train),
      h("label", {}, "time kernels on", backend),
      h("button", { type: "submit", id: "inspect-run" }, "Inspect"),
      status,
    ),
    root,
  );
  return { el, refresh };
};
