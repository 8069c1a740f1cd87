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

/** What differs between the charts: the axes, the y range, the series after x. */
interface ChartSpec {
  readonly axes: readonly [uPlot.Axis, uPlot.Axis];
  readonly yRange: uPlot.Scale.Range;
  readonly series: readonly uPlot.Series[];
}

/**
 * A chart whose points arrive one x at a time, x running from 0 to the run's length: the
 * columns (x first, then one per series), cleared by `reset` and redrawn once per frame.
 */
const liveChart = (el: HTMLElement, spec: ChartSpec) => {
  const empty = () => Array.from({ length: spec.series.length + 1 }, () => [] as (number | null)[]);
  let columns = empty();
  let lo = 0;
  let hi = 1;
  const plot = mount(
    el,
    {
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: () => [lo, hi] }, y: { range: spec.yRange } },
      axes: [...spec.axes],
      series: [{}, ...spec.series],
    },
    columns as uPlot.AlignedData,
  );
  const draw = perFrame(() => {
    plot.setData([...columns] as uPlot.AlignedData);
    el.dataset["points"] = String(columns[0]!.length);
  });
  return {
    /** Clears the chart for a run whose x goes from `origin` to `origin + length`. */
    reset: (length: number, origin = 0) => {
      columns = empty();
      lo = origin;
      hi = origin + Math.max(1, length);
      draw();
    },
    /** Adds the point at x of every series. */
    push: (x: number, ys: readonly (number | null)[]) => {
      columns[0]!.push(x);
      ys.forEach((y, i) => columns[i + 1]!.push(y));
      draw();
    },
    /** Sets series `i`'s value at x: at the last x drawn if it is x, else at a new last point. */
    setAt: (x: number, i: number, y: number) => {
      if (columns[0]!.at(-1) !== x) {
        columns[0]!.push(x);
        for (const column of columns.slice(1)) column.push(null);
      }
      const column = columns[i + 1]!;
      column[column.length - 1] = y;
      draw();
    },
  };
};

/** The loss chart: every step's loss, and a smoothed curve (a debiased moving average, as TensorBoard's). */
export const lossChart = (el: HTMLElement) => {
  const beta = 0.9;
  let ema = 0;
  let points = 0;
  const chart = liveChart(el, {
    yRange: (_u, _min, max) => [0, Math.max(0.5, Math.ceil((max ?? 1) * 4) / 4)],
    axes: [
      { ...AXIS, label: "step", labelSize: 18 },
      { ...AXIS, label: "cross-entropy", labelSize: 18, size: 44 },
    ],
    series: [
      { label: "loss", stroke: "rgba(47, 111, 237, 0.35)", width: 1, points: { show: false } },
      { label: "smoothed", stroke: "#2f6fed", width: 2, points: { show: false } },
    ],
  });
  return {
    /** Clears the chart for a run of `total` steps. */
    reset: (total: number) => {
      ema = 0;
      points = 0;
      chart.reset(total);
    },
    add: (step: number, value: number) => {
      ema = beta * ema + (1 - beta) * value;
      points++;
      chart.push(step, [value, ema / (1 - beta ** points)]);
    },
  };
};

/**
 * The accuracy chart: training accuracy (over the epoch's batches, as the weights moved) and
 * validation accuracy per epoch, and the final test accuracy as a green point where the run
 * ended (part-way through an epoch for a stopped run). A continued run's epochs go on from
 * the model's.
 */
export const accuracyChart = (el: HTMLElement) => {
  const chart = liveChart(el, {
    yRange: (_u, min) => [Math.min(0.8, Math.floor(((min ?? 0.8) - 0.02) * 20) / 20), 1],
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
  });
  let origin = 0;
  return {
    /** Clears the chart for a run of `total` epochs after the model's first `from`. */
    reset: (total: number, from = 0) => {
      origin = from;
      chart.reset(total, from);
    },
    add: (epoch: number, trainAccuracy: number, valAccuracy: number | undefined) =>
      chart.push(epoch, [trainAccuracy, valAccuracy ?? NaN, null]),
    /** Marks the test accuracy after `epochs` epochs of this run (a fraction for a stopped run). */
    setTest: (epochs: number, accuracy: number) => {
      chart.setAt(origin + epochs, 2, accuracy);
      el.dataset["test"] = `${origin + epochs}:${accuracy}`;
    },
  };
};
