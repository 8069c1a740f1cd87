/**
 * The page: a form, live charts and a drawing pad in plain DOM (a few hundred lines need no
 * framework), talking to the training worker that owns the data and the model.
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { MNIST_ASSET_NAME } from "./data/mnist-asset";
import { inkProblem } from "./ink-check";
import { toMnist } from "./preprocess";
import type { FromWorker, ModelInfo, TestResult, ToWorker } from "./protocol";
import { webglChoice } from "./ui/backend-choice";
import { cpuLabel, cpuTitle } from "./ui/cpu-choice";
import { accuracyChart, lossChart } from "./ui/charts";
import { confusionView } from "./ui/confusion-view";
import { digitGrid } from "./ui/digit-grid";
import { drawPad } from "./ui/draw-pad";
import { featureMaps } from "./ui/feature-maps";
import { paint } from "./ui/images";
import { layerView } from "./ui/layer-view";
import { modelLine } from "./ui/model-text";
import { probabilityBars } from "./ui/probabilities";
import { clock, progressText } from "./ui/progress-text";
import { trainForm } from "./ui/train-form";
import { addInspectView } from "./inspect/tab";
import type { RunStarted } from "./inspect/trained";
import { trainedModel } from "./inspect/trained";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const trainButton = $<HTMLButtonElement>("train");
const stopButton = $<HTMLButtonElement>("stop");
const saveButton = $<HTMLButtonElement>("save");
const loadInput = $<HTMLInputElement>("load");
const loadButton = $<HTMLButtonElement>("load-button");
const status = $("status");
const notice = $("notice");
const backendHint = $("backend-hint");
const progress = $("progress");
const progressBar = progress.querySelector<HTMLElement>(".bar")!;
const progressLine = $("progress-text");
const modelInfo = $("model-info");
const testAccuracy = $("test-accuracy");
const prediction = $("prediction");
const confidence = $("confidence");
const answeredBy = $("answered-by");
const inputCanvas = $<HTMLCanvasElement>("input");
const epochRows = $<HTMLTableElement>("epoch-table").tBodies[0]!;

const losses = lossChart($("loss-chart"));
const accuracies = accuracyChart($("accuracy-chart"));
const bars = probabilityBars($("probabilities"));
const layers = layerView($<HTMLSelectElement>("layer"), $("feature-maps"));
const filters = featureMaps($("filters"));
const confusion = confusionView($<HTMLTableElement>("confusion"));

const worker = new Worker(new URL("./worker/worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

let ready = false;
let training = false;
/** The finished model (trained or loaded): what Save saves and Train may continue. */
let model: ModelInfo | undefined;
/** The worker has weights to classify with: a finished model, or a whole epoch of this run. */
let canClassify = false;
let testLabels: Uint8Array | undefined;
let run: { stepsPerEpoch: number; totalSteps: number; epochs: number; steps: number } | undefined;
/** The run the worker announced last: the Inspect view's "model in training". */
let inTraining: RunStarted | undefined;

const form = trainForm({
  check: (id, config) => send({ kind: "check", id, config }),
  start: (config) => {
    training = true;
    notice.hidden = true;
    setButtons();
    setProgress(0, "Compiling the training step…");
    send({ kind: "train", config });
  },
});

const setButtons = () => {
  form.setEnabled(ready && !training);
  trainButton.disabled = !ready || training;
  stopButton.disabled = !training;
  saveButton.disabled = model === undefined || training;
  loadButton.disabled = !ready || training;
};

const say = (text: string, kind: "info" | "error" = "info") => {
  notice.hidden = false;
  // Errors interrupt a screen reader; other news waits for a pause.
  notice.setAttribute("aria-live", kind === "error" ? "assertive" : "polite");
  notice.setAttribute("role", kind === "error" ? "alert" : "status");
  notice.textContent = text;
  notice.classList.toggle("error", kind === "error");
};

const setProgress = (fraction: number, text: string) => {
  progressBar.style.width = `${(fraction * 100).toFixed(1)}%`;
  progress.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
  progress.setAttribute("aria-valuetext", text);
  progressLine.textContent = text;
};

// Reloading or closing the tab mid-run would lose the run: ask first.
addEventListener("beforeunload", (e) => {
  if (!training) return;
  e.preventDefault();
  // Older browsers show the prompt only when returnValue is set.
  e.returnValue = "";
});

// Classification: the newest drawing wins; one request in flight at a time.
let nextId = 1;
let inFlight: number | undefined;
let pending = false;
let picked: Float32Array | undefined;

const showNothing = (why: string) => {
  bars.show(undefined);
  prediction.textContent = "–";
  confidence.textContent = why;
  answeredBy.textContent = "";
};

const classify = () => {
  const ink = picked === undefined ? pad.ink() : undefined;
  const problem = ink === undefined ? undefined : inkProblem(ink, 280, 280);
  const pixels = picked ?? (problem === undefined ? toMnist(ink!, 280, 280) : undefined);
  paint(inputCanvas, pixels ?? new Float32Array(784), 28, 28);
  if (problem !== undefined) return showNothing(problem);
  if (pixels === undefined) return showNothing("");
  if (!canClassify) {
    showNothing(
      training
        ? "The first epoch is still training: it answers when it ends."
        : "Train or load a model first.",
    );
    return;
  }
  if (inFlight !== undefined) {
    pending = true;
    return;
  }
  inFlight = nextId++;
  send({ kind: "classify", id: inFlight, pixels });
};

let frame = false;
const classifySoon = () => {
  if (frame) return;
  frame = true;
  requestAnimationFrame(() => {
    frame = false;
    classify();
  });
};

const pad = drawPad($<HTMLCanvasElement>("pad"), () => {
  picked = undefined;
  classifySoon();
});
$("clear").addEventListener("click", () => {
  pad.clear();
  picked = undefined;
  classify();
  layers.show(undefined);
});

const grid = digitGrid($("digit-grid"), $("digits-info"), (pixels) => {
  pad.show(pixels);
  picked = pixels;
  classify();
});
const showAll = $<HTMLButtonElement>("show-all");
const showMistakes = $<HTMLButtonElement>("show-mistakes");
for (const [button, on] of [
  [showAll, false],
  [showMistakes, true],
] as const) {
  button.addEventListener("click", () => {
    grid.setMistakesOnly(on);
    showAll.classList.toggle("on", !on);
    showMistakes.classList.toggle("on", on);
    showAll.setAttribute("aria-pressed", String(!on));
    showMistakes.setAttribute("aria-pressed", String(on));
  });
}

stopButton.addEventListener("click", () => {
  send({ kind: "stop" });
  stopButton.disabled = true;
  progressLine.textContent = "Stopping after this step…";
});
saveButton.addEventListener("click", () => send({ kind: "save" }));
loadButton.addEventListener("click", () => loadInput.click());
loadInput.addEventListener("change", async () => {
  const file = loadInput.files?.[0];
  loadInput.value = "";
  if (file === undefined) return;
  const bytes = await file.arrayBuffer();
  say(`Checking ${file.name}…`);
  send({ kind: "load", fileName: file.name, bytes }, [bytes]);
});

const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

const showModel = (info: ModelInfo, test: TestResult) => {
  const changed = model?.model !== info.model || info.source === "loaded";
  model = info;
  if (info.source === "loaded") inTraining = undefined;
  canClassify = true;
  modelInfo.textContent = modelLine(info);
  testAccuracy.textContent = percent(test.accuracy);
  testAccuracy.dataset["value"] = String(test.accuracy);
  testAccuracy.title = `loss ${test.loss.toFixed(4)} on the 2,000 test digits`;
  if (info.source === "loaded")
    say(`Loaded ${info.fileName}: ${percent(test.accuracy)} of the test digits right.`);
  // A stopped run's test accuracy sits where it stopped, part-way through an epoch.
  if (info.source === "trained" && run)
    accuracies.setTest(run.steps / run.stepsPerEpoch, test.accuracy);
  grid.setResult(test);
  if (testLabels) confusion.show(testLabels, test.predictions);
  filters.show(test.filters, "This model's first layer has no weights to draw as images.");
  if (changed) layers.reset();
  form.setModel(info);
  setButtons();
  classify();
};

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.kind) {
    case "ready": {
      ready = true;
      form.fill(m.optimizers);
      status.textContent = `MNIST: ${m.sizes.train.toLocaleString("en-US")} training · ${m.sizes.val.toLocaleString("en-US")} validation · ${m.sizes.test.toLocaleString("en-US")} test digits`;
      const cpu = form.backend.options[0]!;
      cpu.textContent = cpuLabel(m.cpu);
      cpu.title = cpuTitle(m.cpu);
      Object.assign(cpu.dataset, {
        wasm: m.cpu.wasm,
        threads: m.cpu.threads,
        isolated: m.cpu.crossOriginIsolated,
      });
      const webgl = form.backend.options[1]!;
      const choice = webglChoice(m.webgl);
      webgl.disabled = !m.webgl.available;
      webgl.textContent = choice.label;
      webgl.title = m.webgl.reason ?? m.webgl.renderer ?? "";
      backendHint.hidden = choice.advice === undefined;
      backendHint.textContent = choice.advice ?? "";
      if (!m.webgl.available && form.backend.value === "webgl") {
        form.backend.value = "cpu";
        say(`WebGL is not available here (${m.webgl.reason}); the CPU backend will train.`);
      }
      testLabels = m.testLabels.slice();
      grid.setData(m.testImages, m.testLabels);
      setButtons();
      break;
    }
    case "checked":
      form.checked(m.id, m.problems);
      break;
    case "started": {
      inTraining = { config: m.config, stepsPerEpoch: m.stepsPerEpoch };
      const totalSteps = m.stepsPerEpoch * m.config.epochs;
      run = { stepsPerEpoch: m.stepsPerEpoch, totalSteps, epochs: m.config.epochs, steps: 0 };
      losses.reset(totalSteps);
      accuracies.reset(m.config.epochs, m.startEpoch);
      epochRows.replaceChildren();
      if (m.config.limit !== undefined)
        say(
          `Training on the first ${m.trainCount.toLocaleString("en-US")} training digits only (URL option limit).`,
        );
      const from =
        m.startEpoch > 0 || m.startStep > 0
          ? ` from epoch ${m.startEpoch}, step ${m.startStep}`
          : "";
      setProgress(
        0,
        `epoch 1/${m.config.epochs} · compiling on the ${m.backend.toUpperCase()} backend${from}…`,
      );
      break;
    }
    case "step": {
      losses.add(m.step, m.loss);
      if (run) {
        run.steps = m.step;
        const p = progressText({ ...m, totalSteps: run.totalSteps, epochs: run.epochs });
        setProgress(p.fraction, `${p.text} · loss ${m.loss.toFixed(3)}`);
      }
      break;
    }
    case "epoch": {
      accuracies.add(m.epoch, m.train.accuracy, m.val?.accuracy);
      const row = epochRows.insertRow();
      const cells = [
        String(m.epoch),
        m.train.loss.toFixed(4),
        percent(m.train.accuracy),
        m.val ? m.val.loss.toFixed(4) : "–",
        m.val ? percent(m.val.accuracy) : "–",
        `${m.seconds.toFixed(1)} s`,
      ];
      for (const c of cells) row.insertCell().textContent = c;
      // The worker classifies with this epoch's weights from now on, while training goes on.
      canClassify = true;
      classify();
      break;
    }
    case "evaluating":
      progressLine.textContent = "Testing on the 2,000 test digits…";
      break;
    case "model":
      showModel(m.info, m.test);
      break;
    case "finished": {
      training = false;
      setButtons();
      const rate =
        m.stepSeconds > 0 ? ` · ${((m.steps - 1) / m.stepSeconds).toFixed(1)} steps/s` : "";
      setProgress(
        m.stopped ? progressBar.offsetWidth / progress.offsetWidth : 1,
        `${m.stopped ? "Stopped" : "Done"}: ${m.steps.toLocaleString("en-US")} steps, ${clock(m.seconds)} in all${rate}`,
      );
      break;
    }
    case "classified": {
      if (m.id !== inFlight) break;
      inFlight = undefined;
      const p = m.probabilities;
      const best = p.indexOf(Math.max(...p));
      prediction.textContent = String(best);
      confidence.textContent = `${(p[best]! * 100).toFixed(1)}% sure`;
      answeredBy.textContent = m.by.training
        ? `Answered by the weights after epoch ${m.by.epoch} (step ${m.by.step.toLocaleString("en-US")}); training goes on.`
        : "";
      bars.show(p);
      layers.show(m.layers);
      if (pending) {
        pending = false;
        classify();
      }
      break;
    }
    case "saved": {
      const url = URL.createObjectURL(new Blob([m.bytes], { type: "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = m.fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      say(`Saved ${m.fileName} (${(m.bytes.byteLength / 1024).toFixed(0)} KB).`);
      break;
    }
    case "notice":
      say(m.text);
      break;
    case "error":
      if (m.during === "classify") {
        inFlight = undefined;
        if (canClassify) say(m.message, "error");
        break;
      }
      if (m.during === "init") status.textContent = `Could not load the digits: ${m.message}`;
      if (m.during === "train") {
        training = false;
        setButtons();
        setProgress(0, "Training failed.");
      }
      say(m.message, "error");
      break;
  }
};

layers.reset();
filters.show(undefined, "Train or load a model to see its first layer.");
bars.show(undefined);
setButtons();
send({
  kind: "init",
  assetUrl: new URL(`${import.meta.env.BASE_URL}${MNIST_ASSET_NAME}`, location.href).href,
});

addInspectView(() => trainedModel(inTraining, model));
