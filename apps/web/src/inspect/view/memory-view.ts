import type { Inspection, MemoryBuffer, MemoryPlan } from "../model/types";
import { formatBytes, formatShape, h, s } from "./dom";

const WIDTH = 960;
const HEIGHT = 360;
const LEFT = 70;

/** A horizontal line across the timeline at `y`, labelled at its right or left end (the two marks may coincide). */
const mark = (y: number, label: string, cls: string, right: boolean) =>
  s(
    "g",
    { class: cls },
    s("line", { x1: LEFT, x2: LEFT + WIDTH, y1: y, y2: y }),
    s(
      "text",
      { x: right ? LEFT + WIDTH - 4 : LEFT + 4, y: y - 4, "text-anchor": right ? "end" : "start" },
      label,
    ),
  );

/**
 * The arena as an SVG timeline: x is the kernel step, y the byte offset; each arena buffer is
 * a rectangle over its live range, in-place writes hatched, the peak and the lower bound
 * marked as lines. `onPick` receives a clicked buffer.
 */
const timeline = (m: MemoryPlan, onPick: (b: MemoryBuffer) => void): SVGSVGElement => {
  const top = Math.max(m.peakBytes, 1);
  const x = (step: number) => LEFT + ((step + 1) / (m.steps + 2)) * WIDTH;
  const y = (bytes: number) => 10 + HEIGHT - (bytes / top) * HEIGHT;
  const arena = m.buffers.filter((b) => b.offset !== undefined);
  return s(
    "svg",
    {
      class: "memory-timeline",
      viewBox: `0 0 ${LEFT + WIDTH + 10} ${HEIGHT + 40}`,
      role: "img",
      "aria-label": `arena of ${m.peakBytes} bytes over ${m.steps} kernel steps`,
      "data-peak": m.peakBytes,
      "data-lower-bound": m.lowerBoundBytes,
    },
    s("rect", { class: "frame", x: LEFT, y: 10, width: WIDTH, height: HEIGHT }),
    ...arena.map((b) =>
      s(
        "rect",
        {
          class: `buf ${b.kind}${b.inPlaceOf === undefined ? "" : " in-place"}`,
          x: x(b.start),
          y: y(b.offset! + b.bytes),
          width: Math.max(x(b.end + 1) - x(b.start), 0.5),
          height: Math.max((b.bytes / top) * HEIGHT, 0.5),
          "data-buffer": b.id,
          onclick: () => onPick(b),
        },
        s(
          "title",
          {},
          `b${b.id} ${b.kind} ${formatShape(b.shape)} ${formatBytes(b.bytes)} @${b.offset} steps ${b.start}..${b.end}${b.inPlaceOf === undefined ? "" : ` (written over b${b.inPlaceOf})`}`,
        ),
      ),
    ),
    mark(y(m.peakBytes), `peak ${formatBytes(m.peakBytes)}`, "peak", true),
    mark(
      y(m.lowerBoundBytes),
      `lower bound ${formatBytes(m.lowerBoundBytes)}`,
      "lower-bound",
      false,
    ),
    s("text", { x: LEFT - 6, y: y(0), "text-anchor": "end" }, "0"),
    s(
      "text",
      { x: LEFT + WIDTH / 2, y: HEIGHT + 34, "text-anchor": "middle" },
      `kernel step (0..${m.steps - 1})`,
    ),
  );
};

/** The Memory panel: the timeline, the planner's figures, and the buffers outside the arena. */
export const memoryView = (data: Inspection): HTMLElement => {
  const m = data.memory;
  if (m === undefined)
    return h(
      "section",
      { class: "insp-panel", "data-panel": "memory" },
      h("p", {}, "Memory planning was switched off."),
    );
  const picked = h("p", { class: "picked" }, "Click a buffer to see it.");
  const outside = m.buffers.filter((b) => b.offset === undefined);
  return h(
    "section",
    { class: "insp-panel", "data-panel": "memory" },
    h(
      "h3",
      {},
      `arena ${formatBytes(m.peakBytes)} · lower bound ${formatBytes(m.lowerBoundBytes)} · ${formatBytes(m.noReuseBytes)} without reuse · ${m.inPlace} in-place writes`,
    ),
    timeline(m, (b) =>
      picked.replaceChildren(
        `b${b.id} (${b.kind}${b.name ? ` ${b.name}` : ""}) ${formatShape(b.shape)} ${b.dtype}, ${formatBytes(b.bytes)} at offset ${b.offset}, live steps ${b.start}..${b.end}`,
        b.inPlaceOf === undefined ? "" : `, written over b${b.inPlaceOf}`,
      ),
    ),
    picked,
    h(
      "h4",
      {},
      `Outside the arena: ${outside.length} buffers (inputs ${formatBytes(m.inputBytes)}, outputs ${formatBytes(m.outputBytes)})`,
    ),
    h(
      "table",
      { class: "insp-table outside" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["buffer", "name", "shape", "bytes"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        ...outside.map((b) =>
          h(
            "tr",
            {},
            h("td", {}, `b${b.id}`),
            h("td", {}, b.name ?? b.kind),
            h("td", {}, formatShape(b.shape)),
            h("td", { class: "num" }, formatBytes(b.bytes)),
          ),
        ),
      ),
    ),
  );
};
