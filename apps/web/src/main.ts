/**
 * The page: a form, live charts and a drawing pad in plain DOM (a few hundred lines need no
 * framework), talking to the training worker that owns the data and the model.
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { MNIST_ASSET_NAME } from "./data/mnist-asset";
import { toMnist } from "./preprocess";
import type {
  FromWorker,
  ModelInfo,
  TestResult,
  ToWorker,
  TrainConfig,
  WebBackend,
  WebModel,
} from "./protocol";
import { accuracyChart, lossChart } from "./ui/charts";
import { digitGrid } from "./ui/digit-grid";
import { drawPad } from "./ui/draw-pad";
import { featureMaps } from "./ui/feature-maps";
import { paint } from "./ui/images";
import { probabilityBars } from "./ui/probabilities";
import { clock, progressText } from "./ui/progress-text";
import { configFromUrl } from "./ui/url-config";
import { addInspectView } from "./inspect/tab";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const form = {
  model: $<HTMLSelectElement>("model"),
  backend: $<HTMLSelectElement>("backend"),
  optimizer: $<HTMLSelectElement>("optimizer"),
  lr: $<HTMLInputElement>("lr"),
  epochs: $<HTMLInputElement>("epochs"),
  batch: $<HTMLInputElement>("batch"),
};
const trainButton = $<HTMLButtonElement>("train");
const stopButton = $<HTMLButtonElement>("stop");
const saveButton = $<HTMLButtonElement>("save");
const loadInput = $<HTMLInputElement>("load");
const loadButton = $<HTMLButtonElement>("load-button");
const status = $("status");
const notice = $("notice");
const progress = $("progress");
const progressBar = progress.querySelector<HTMLElement>(".bar")!;
const progressLine = $("progress-text");
const modelInfo = $("model-info");
const testAccuracy = $("test-accuracy");
const prediction = $("prediction");
const confidence = $("confidence");
const inputCanvas = $<HTMLCanvasElement>("input");
const epochRows = $<HTMLTableElement>("epoch-table").tBodies[0]!;

const losses = lossChart($("loss-chart"));
const accuracies = accuracyChart($("accuracy-chart"));
const bars = probabilityBars($("probabilities"));
const maps = featureMaps($("feature-maps"));

const worker = new Worker(new URL("./worker/worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

// The optimizers and their learning rates come from the worker; until then the form is empty
// and disabled (the page's bundle carries no training code).
let urlConfig: TrainConfig | undefined;
let defaultLr: Readonly<Record<string, number>> = {};
const fillForm = (optimizers: Readonly<Record<string, number>>) => {
  defaultLr = optimizers;
  urlConfig = configFromUrl(location.search, optimizers);
  for (const o of Object.keys(optimizers)) form.optimizer.add(new Option(o, o));
  form.model.value = urlConfig.model;
  form.backend.value = urlConfig.backend;
  form.optimizer.value = urlConfig.optimizer;
  form.lr.value = String(urlConfig.lr);
  form.epochs.value = String(urlConfig.epochs);
  form.batch.value = String(urlConfig.batchSize);
};
form.optimizer.addEventListener("change", () => {
  form.lr.value = String(defaultLr[form.optimizer.value] ?? form.lr.value);
});

let ready = false;
let training = false;
let hasModel = false;
let run: { config: TrainConfig; totalSteps: number } | undefined;

const setButtons = () => {
  for (const field of Object.values(form)) field.disabled = !ready || training;
  trainButton.disabled = !ready || training;
  stopButton.disabled = !training;
  saveButton.disabled = !hasModel;
  loadButton.disabled = !ready || training;
};

const say = (text: string, kind: "info" | "error" = "info") => {
  notice.hidden = false;
  notice.textContent = text;
  notice.classList.toggle("error", kind === "error");
};

const setProgress = (fraction: number, text: string) => {
  progressBar.style.width = `${(fraction * 100).toFixed(1)}%`;
  progress.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
  progressLine.textContent = text;
};

// Classification: the newest drawing wins; one request in flight at a time.
let nextId = 1;
let inFlight: number | undefined;
let pending = false;
let picked: Float32Array | undefined;

const currentInput = (): Float32Array | undefined => picked ?? toMnist(pad.ink(), 280, 280);

const classify = () => {
  const pixels = currentInput();
  paint(inputCanvas, pixels ?? new Float32Array(784), 28, 28);
  if (pixels === undefined) {
    bars.show(undefined);
    prediction.textContent = "–";
    confidence.textContent = "";
    return;
  }
  if (!hasModel) {
    prediction.textContent = "–";
    confidence.textContent = "Train or load a model first.";
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
  maps.show(undefined, "Draw a digit to see them.");
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
  });
}

$("train-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const config: TrainConfig = {
    model: form.model.value as WebModel,
    backend: form.backend.value as WebBackend,
    optimizer: form.optimizer.value,
    lr: Number(form.lr.value),
    epochs: Number(form.epochs.value),
    batchSize: Number(form.batch.value),
    seed: urlConfig?.seed ?? 0,
    ...(urlConfig?.limit === undefined ? {} : { limit: urlConfig.limit }),
  };
  training = true;
  notice.hidden = true;
  setButtons();
  setProgress(0, "Compiling the training step…");
  send({ kind: "train", config });
});
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
const MODEL_NAMES: Readonly<Record<string, string>> = { mlp: "MLP", lenet: "LeNet-5" };

const showModel = (info: ModelInfo, test: TestResult) => {
  hasModel = true;
  const name = MODEL_NAMES[info.model] ?? info.model;
  const trained = `${info.epoch} epoch${info.epoch === 1 ? "" : "s"} (${info.step.toLocaleString("en-US")} steps)`;
  modelInfo.textContent =
    info.source === "loaded"
      ? `${name} loaded from ${info.fileName}: ${trained}.`
      : `${name} trained here on ${info.backend === "webgl" ? "WebGL" : "the CPU"}: ${trained}.`;
  testAccuracy.textContent = percent(test.accuracy);
  testAccuracy.dataset["value"] = String(test.accuracy);
  testAccuracy.title = `loss ${test.loss.toFixed(4)} on the 2,000 test digits`;
  if (info.source === "loaded")
    say(`Loaded ${info.fileName}: ${percent(test.accuracy)} of the test digits right.`);
  if (info.source === "trained") accuracies.setTest(test.accuracy);
  grid.setResult(test);
  setButtons();
  classify();
};

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.kind) {
    case "ready": {
      ready = true;
      fillForm(m.optimizers);
      status.textContent = `MNIST: ${m.sizes.train.toLocaleString("en-US")} training · ${m.sizes.val.toLocaleString("en-US")} validation · ${m.sizes.test.toLocaleString("en-US")} test digits`;
      const webgl = form.backend.options[1]!;
      webgl.disabled = !m.webgl.available;
      webgl.textContent = m.webgl.available
        ? "WebGL2 (GPU, in the worker)"
        : "WebGL2 (not available here)";
      webgl.title = m.webgl.reason ?? "";
      if (!m.webgl.available && form.backend.value === "webgl") {
        form.backend.value = "cpu";
        say(`WebGL is not available here (${m.webgl.reason}); the CPU backend will train.`);
      }
      grid.setData(m.testImages, m.testLabels);
      setButtons();
      break;
    }
    case "started": {
      const totalSteps = m.stepsPerEpoch * m.config.epochs;
      run = { config: m.config, totalSteps };
      losses.reset(totalSteps);
      accuracies.reset(m.config.epochs);
      epochRows.replaceChildren();
      if (m.config.limit !== undefined)
        say(
          `Training on the first ${m.trainCount.toLocaleString("en-US")} training digits only (URL option limit).`,
        );
      setProgress(
        0,
        `epoch 1/${m.config.epochs} · compiling on the ${m.backend.toUpperCase()} backend…`,
      );
      break;
    }
    case "step": {
      losses.add(m.step, m.loss);
      if (run) {
        const p = progressText({ ...m, totalSteps: run.totalSteps, epochs: run.config.epochs });
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
      bars.show(p);
      maps.show(
        m.features,
        hasModel
          ? "The MLP has no convolutions; train or load LeNet-5 to see its feature maps."
          : "",
      );
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
        if (hasModel) say(m.message, "error");
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

maps.show(undefined, "Draw a digit to see them.");
bars.show(undefined);
setButtons();
send({
  kind: "init",
  assetUrl: new URL(`${import.meta.env.BASE_URL}${MNIST_ASSET_NAME}`, location.href).href,
});

addInspectView();
