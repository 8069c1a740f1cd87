/**
 * The live training charts, drawn with uPlot (canvas, ~50 kB, built for streaming data): loss
 * per step and accuracy per epoch. Data arrives once per step; charts redraw at most once per
 * animation frame. Each chart's element carries `data-points`, the number of points drawn.
 */
import uPlot from "uplot";

const AXIS = { stroke: "#667085", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#e3e6ec" } };

/** A chart that follows its element's width. */
const mount = (
  el: HTMLElement,
  opts: Omit<uPlot.Options, "width" | "height">,
  data: uPlot.AlignedData,
) => {
  const size = () => ({
    width: Math.max(200, el.clientWidth),
    height: Math.max(160, el.clientHeight - 30),
  });
  const plot = new uPlot({ ...opts, ...size() }, data, el);
  new ResizeObserver(() => plot.setSize(size())).observe(el);
  return plot;
};

/** Calls `draw` once in the next animation frame however often it is asked. */
const perFrame = (draw: () => void) => {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  };
};

/** The loss chart: every step's loss, and a smoothed curve (a debiased moving average, as TensorBoard's). */
export const lossChart = (el: HTMLElement) => {
  let steps: number[] = [];
  let loss: number[] = [];
  let smooth: number[] = [];
  let ema = 0;
  let totalSteps = 1;
  const beta = 0.9;
  const plot = mount(
    el,
    {
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: () => [0, totalSteps] },
        y: { range: (_u, _min, max) => [0, Math.max(0.5, Math.ceil((max ?? 1) * 4) / 4)] },
      },
      axes: [
        { ...AXIS, label: "step", labelSize: 18 },
        { ...AXIS, label: "cross-entropy", labelSize: 18, size: 44 },
      ],
      series: [
        {},
        { label: "loss", stroke: "rgba(47, 111, 237, 0.35)", width: 1, points: { show: false } },
        { label: "smoothed", stroke: "#2f6fed", width: 2, points: { show: false } },
      ],
    },
    [[], [], []],
  );
  const draw = perFrame(() => {
    plot.setData([steps, loss, smooth]);
    el.dataset["points"] = String(steps.length);
  });
  return {
    /** Clears the chart for a run of `total` steps. */
    reset: (total: number) => {
      steps = [];
      loss = [];
      smooth = [];
      ema = 0;
      totalSteps = Math.max(1, total);
      draw();
    },
    add: (step: number, value: number) => {
      ema = beta * ema + (1 - beta) * value;
      steps.push(step);
      loss.push(value);
      smooth.push(ema / (1 - beta ** steps.length));
      draw();
    },
  };
};

/**
 * The accuracy chart: training accuracy (over the epoch's batches, as the weights moved) and
 * validation accuracy per epoch, and the final test accuracy as a green point at the last epoch.
 */
export const accuracyChart = (el: HTMLElement) => {
  let epochs: number[] = [];
  let train: number[] = [];
  let val: number[] = [];
  let test: (number | null)[] = [];
  let totalEpochs = 1;
  const plot = mount(
    el,
    {
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: () => [0, totalEpochs] },
        y: {
          range: (_u, min) => [Math.min(0.8, Math.floor(((min ?? 0.8) - 0.02) * 20) / 20), 1],
        },
      },
      axes: [
        { ...AXIS, label: "epoch", labelSize: 18, incrs: [1, 2, 5, 10, 20, 50, 100] },
        {
          ...AXIS,
          label: "accuracy",
          labelSize: 18,
          size: 50,
          values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
        },
      ],
      series: [
        {},
        { label: "train", stroke: "#2f6fed", width: 2, points: { show: true, size: 8 } },
        { label: "validation", stroke: "#e8772e", width: 2, points: { show: true, size: 8 } },
        {
          label: "test",
          stroke: "#12805c",
          fill: "#12805c",
          paths: () => null,
          points: { show: true, size: 11, fill: "#12805c" },
        },
      ],
    },
    [[], [], [], []],
  );
  const draw = perFrame(() => {
    plot.setData([epochs, train, val, test]);
    el.dataset["points"] = String(epochs.length);
  });
  return {
    /** Clears the chart for a run of `total` epochs. */
    reset: (total: number) => {
      epochs = [];
      train = [];
      val = [];
      test = [];
      totalEpochs = Math.max(1, total);
      draw();
    },
    add: (epoch: number, trainAccuracy: number, valAccuracy: number | undefined) => {
      epochs.push(epoch);
      train.push(trainAccuracy);
      val.push(valAccuracy ?? NaN);
      test.push(null);
      draw();
    },
    /** Marks the test accuracy at the last epoch drawn. */
    setTest: (accuracy: number) => {
      if (test.length === 0) return;
      test[test.length - 1] = accuracy;
      draw();
    },
  };
};
