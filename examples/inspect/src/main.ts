/**
 * What the pipeline does to a custom model: the graph after every stage, the kernel that
 * absorbed batch norm and ReLU into a convolution, and the memory plan. Nothing runs: the
 * pipeline works on the traced graph alone (until the dump, which compiles and runs). `tsx src/main.ts [batch]` (default 8).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as loom from "@loom/loom";
import { cnn as model } from "./model";

const batch = Number(process.argv[2] ?? 8);

// #region summary
// Layers, output shapes, parameters and multiply-accumulates, from shape inference alone.
const summary = loom.summarize(model, { shape: [1, 1, 16, 16] });
for (const l of summary.layers)
  console.log(`${l.name.padEnd(6)} ${loom.formatShape(l.outputShape).padEnd(14)} ${l.params}`);
console.log(`total: ${summary.params} params, ${summary.macs} MACs per example`);
// #endregion summary

// #region trace
// The inference graph, traced on placeholders: shapes only, no values, no backend.
const input = { shape: ["N", 1, 16, 16] } as const;
const vars = loom.varSpecs(model, input);
const traced = loom.trace(
  ({ params, state, x }) => model.apply(params, state, x, { training: false }).y,
  { ...vars, x: input },
);
// #endregion trace

// #region stages
// Every stage of the one pipeline, for a concrete batch: graphs first, then plans.
const report = loom.inspectPipeline(traced.graph, { N: batch });
for (const s of report.stages) {
  const size =
    s.kind === "graph"
      ? `${loom.topoOrder(s.graph).length} nodes`
      : `${s.plan.kernels.length} kernels`;
  console.log(`${s.name.padEnd(12)} ${size}`);
}
// #endregion stages

// #region kernel
// Each kernel lists the graph nodes it computes: find the convolution that absorbed the rest.
const nodes = loom.topoOrder(report.graph);
const conv = report.planned.kernels.find((k) => k.kind === "library" && k.call.kind === "conv2d");
if (conv === undefined) throw new Error("no convolution kernel in the plan");
console.log(`conv kernel computes: ${conv.nodes.map((n) => nodes[n]!.op).join(" ")}`);
console.log(loom.printKernel(report.planned, conv, report.planned.kernels.indexOf(conv)));
// kernelLayers names the layers of each kernel's nodes (the paths of their parameters).
const layers = loom.kernelLayers(report.graph, report.planned.kernels);
console.log(`its layers: ${layers[report.planned.kernels.indexOf(conv)]!.join(", ")}`);
// #endregion kernel

// #region memory
// The memory plan: one arena for every temporary, against what no reuse would need.
const m = report.memory!;
console.log(
  `arena ${m.peakBytes} B (lower bound ${m.lowerBoundBytes} B, ${m.noReuseBytes} B without reuse), ` +
    `${m.inPlace} kernels in place; inputs ${m.inputBytes} B, outputs ${m.outputBytes} B`,
);
// #endregion memory

// #region dump
// A dump sink sees every stage of every compile: graphs as text and DOT, plans as text, in
// files named after the compile's `name` (the CLI's LOOM_DUMP_DIR does this for its compiles).
const dir = mkdtempSync(join(tmpdir(), "loom-dump-"));
const backend = loom.cpuBackend();
const vars0 = await loom.initModel(backend, model, 0, { shape: [batch, 1, 16, 16] });
const forward = loom.compile(
  backend,
  ({ params, state, x }) => model.apply(params, state, x, { training: false }).y,
  { params: loom.specsOf(vars0.params), state: loom.specsOf(vars0.state), x: input },
  { name: "cnn", sink: loom.dumpSink((file, text) => writeFileSync(join(dir, file), text)) },
);
await forward.run({
  ...vars0,
  x: loom.hostTensor(new Float32Array(batch * 256), [batch, 1, 16, 16]),
});
console.log(`dumped: ${readdirSync(dir).sort().join(" ")}`);
// #endregion dump
rmSync(dir, { recursive: true, force: true });
backend.dispose();
