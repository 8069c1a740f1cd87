/**
 * The training form: fills itself from the URL once the worker sends the optimizers, writes
 * every change back to the URL (so a run can be linked to and survives a reload), and shows
 * the worker's checks of each field (the library's own rules) under the field. Train asks the
 * worker to check first and starts only a configuration it accepts.
 */
import type {
  ConfigField,
  ConfigProblems,
  ModelInfo,
  TrainConfig,
  WebBackend,
  WebModel,
} from "../protocol";
import { modelTitle } from "./model-text";
import { configFromUrl, configToUrl } from "./url-config";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A number field's value; an empty field is NaN (Number("") would be 0). */
const numberOf = (input: HTMLInputElement): number =>
  input.value.trim() === "" ? Number.NaN : Number(input.value);

/** The form, talking to the worker through `check` (answered by `checked`). */
export const trainForm = (opts: {
  readonly check: (id: number, config: TrainConfig) => void;
  readonly start: (config: TrainConfig) => void;
}) => {
  const form = $<HTMLFormElement>("train-form");
  const f = {
    model: $<HTMLSelectElement>("model"),
    backend: $<HTMLSelectElement>("backend"),
    optimizer: $<HTMLSelectElement>("optimizer"),
    lr: $<HTMLInputElement>("lr"),
    epochs: $<HTMLInputElement>("epochs"),
    batchSize: $<HTMLInputElement>("batch"),
    schedule: $<HTMLInputElement>("schedule"),
    augment: $<HTMLInputElement>("augment"),
    batchNorm: $<HTMLInputElement>("bn"),
    resume: $<HTMLInputElement>("resume"),
  };
  const resumeHint = $("resume-hint");
  let url: TrainConfig | undefined;
  let defaultLr: Readonly<Record<string, number>> = {};
  let model: ModelInfo | undefined;
  let lastCheck = 0;
  let trainAfter: number | undefined;
  let enabled = false;

  const applyEnabled = () => {
    const locked = f.resume.checked && model !== undefined;
    for (const el of Object.values(f)) el.disabled = !enabled;
    f.model.disabled ||= locked;
    f.batchNorm.disabled ||= locked;
    f.resume.disabled ||= model === undefined;
  };

  const read = (): TrainConfig => ({
    model: f.model.value as WebModel,
    backend: f.backend.value as WebBackend,
    optimizer: f.optimizer.value,
    lr: numberOf(f.lr),
    epochs: numberOf(f.epochs),
    batchSize: numberOf(f.batchSize),
    schedule: f.schedule.value.trim(),
    augment: f.augment.value.trim(),
    batchNorm: f.batchNorm.checked,
    resume: f.resume.checked,
    seed: url?.seed ?? 0,
    ...(url?.limit === undefined ? {} : { limit: url.limit }),
  });

  const check = () => {
    lastCheck++;
    opts.check(lastCheck, read());
    return lastCheck;
  };

  // Continuing trains the model there is: its architecture is not the form's to choose.
  const syncResume = () => {
    const on = f.resume.checked && model !== undefined;
    if (on) {
      f.model.value = model!.model;
      f.batchNorm.checked = model!.batchNorm ?? false;
    }
    applyEnabled();
    resumeHint.textContent =
      model === undefined
        ? "Train or load a model to continue it."
        : `Continue the ${modelTitle(model.model)} (epoch ${model.epoch}, step ${model.step.toLocaleString("en-US")}) instead of starting from scratch.`;
  };

  const changed = () => {
    syncResume();
    history.replaceState(
      history.state,
      "",
      `${location.pathname}${configToUrl(read(), defaultLr)}${location.hash}`,
    );
    check();
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  f.optimizer.addEventListener("change", () => {
    f.lr.value = String(defaultLr[f.optimizer.value] ?? f.lr.value);
    changed();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    trainAfter = check();
  });

  const fields = (): Record<ConfigField, HTMLInputElement | HTMLSelectElement> => ({
    model: f.model,
    optimizer: f.optimizer,
    lr: f.lr,
    epochs: f.epochs,
    batchSize: f.batchSize,
    schedule: f.schedule,
    augment: f.augment,
    resume: f.resume,
  });

  return {
    /** Fills the form from the URL, once the optimizers and their learning rates are known. */
    fill: (optimizers: Readonly<Record<string, number>>) => {
      defaultLr = optimizers;
      url = configFromUrl(location.search, optimizers);
      for (const o of Object.keys(optimizers)) f.optimizer.add(new Option(o, o));
      f.model.value = url.model;
      f.backend.value = url.backend;
      f.optimizer.value = url.optimizer;
      f.lr.value = String(url.lr);
      f.epochs.value = String(url.epochs);
      f.batchSize.value = String(url.batchSize);
      f.schedule.value = url.schedule;
      f.augment.value = url.augment;
      f.batchNorm.checked = url.batchNorm;
      syncResume();
      check();
    },
    /** The worker's answer to a check: problems under their fields; starts a run it accepts. */
    checked: (id: number, problems: ConfigProblems) => {
      if (id !== lastCheck) return;
      for (const [field, el] of Object.entries(fields()) as [ConfigField, HTMLInputElement][]) {
        const message = problems[field]?.replace(/^web app: /, "") ?? "";
        el.setCustomValidity(message);
        el.setAttribute("aria-invalid", String(message !== ""));
        $(`${el.id}-error`).textContent = message;
      }
      if (trainAfter !== id) return;
      trainAfter = undefined;
      if (Object.keys(problems).length === 0) opts.start(read());
      else form.reportValidity();
    },
    /** Enables the fields for a ready worker that is not training. */
    setEnabled: (on: boolean) => {
      enabled = on;
      applyEnabled();
    },
    /** The model Train would continue. */
    setModel: (info: ModelInfo | undefined) => {
      model = info;
      if (info === undefined) f.resume.checked = false;
      syncResume();
    },
    /** The backend select (its WebGL option is labelled from the worker's findings). */
    backend: f.backend,
    read,
  };
};
