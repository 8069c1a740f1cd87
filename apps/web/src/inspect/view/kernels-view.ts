import type { Inspection, KernelInfo, KernelIo } from "../model/types";
import { formatBytes, formatShape, h, sortableTable } from "./dom";

const ioRow = (role: string, b: KernelIo) =>
  h(
    "tr",
    {},
    h("td", {}, role),
    h("td", {}, `b${b.buffer}`),
    h("td", {}, formatShape(b.shape)),
    h("td", {}, b.dtype),
    h("td", { class: "num" }, formatBytes(b.bytes)),
  );

const source = (title: string, text: string | undefined) =>
  text === undefined
    ? null
    : h(
        "details",
        { open: true },
        h("summary", {}, title),
        h("pre", { class: `src ${title.toLowerCase()}` }, text),
      );

/** A kernel's detail: its layers and nodes, IR, generated JS and GLSL, I/O and measured time. */
export const kernelDetail = (k: KernelInfo, backend: string | undefined): HTMLElement =>
  h(
    "div",
    { class: "kernel-detail", "data-kernel": k.id },
    h("h4", {}, `k${k.id}: ${k.kind}`),
    h(
      "p",
      {},
      `layers: ${k.layers.join(", ") || "none"} · nodes: ${k.nodes.map((n) => `%${n}`).join(" ")}`,
      k.ms === undefined ? "" : ` · ${k.ms.toFixed(3)} ms on ${backend ?? "?"}`,
    ),
    h(
      "table",
      { class: "insp-table io" },
      h("tbody", {}, ...k.inputs.map((b, i) => ioRow(`in ${i}`, b)), ioRow("out", k.output)),
    ),
    source("IR", k.expr),
    source("JavaScript", k.js),
    source("GLSL", k.glsl),
    k.expr === undefined && k.js === undefined
      ? h("p", {}, `a hand-written ${k.kind} library kernel, with no fused epilogue`)
      : null,
  );

/**
 * The Kernels panel: a table sortable by time, bytes or layer; clicking a row (or calling the
 * returned `show`) shows that kernel's detail.
 */
export const kernelsView = (data: Inspection): { el: HTMLElement; show: (id: number) => void } => {
  const detail = h("div", { class: "kernel-pane" }, h("p", {}, "Click a kernel to see its code."));
  const show = (id: number) => {
    const k = data.kernels[id];
    if (k !== undefined) detail.replaceChildren(kernelDetail(k, data.subject.backend));
  };
  const table = sortableTable<KernelInfo>(
    [
      { title: "kernel", key: (k) => k.id },
      { title: "kind", key: (k) => k.kind },
      { title: "layers", key: (k) => k.layers.join(" ") },
      { title: "nodes", key: (k) => k.nodes.length },
      { title: "output", key: (k) => k.output.shape.join("x") },
      { title: "bytes", key: (k) => k.inputs.reduce((s, b) => s + b.bytes, k.output.bytes) },
      { title: "ms", key: (k) => k.ms ?? -1 },
    ],
    data.kernels,
    (k) => [
      `k${k.id}`,
      k.kind,
      k.layers.join(", "),
      k.nodes.length,
      formatShape(k.output.shape),
      formatBytes(k.inputs.reduce((s, b) => s + b.bytes, k.output.bytes)),
      k.ms === undefined ? "–" : k.ms.toFixed(3),
    ],
    (k) => show(k.id),
  );
  const total = data.kernels.reduce((s, k) => s + (k.ms ?? 0), 0);
  const el = h(
    "section",
    { class: "insp-panel", "data-panel": "kernels" },
    h(
      "h3",
      {},
      `${data.kernels.length} kernels`,
      data.subject.backend === undefined
        ? ""
        : ` · ${total.toFixed(2)} ms per step on ${data.subject.backend}`,
    ),
    h("div", { class: "kernels-split" }, h("div", { class: "kernel-list" }, table), detail),
  );
  return { el, show };
};
