import { describe, expect, it } from "vitest";
import type { Kernel, Plan } from "@loom/graph";
import { kernelLayers, topoOrder } from "@loom/graph";
import { inspectPipeline } from "@loom/ops";
import { trainGraph } from "./train-graph";

const LENET_LAYERS = ["conv1", "conv2", "fc1", "fc2", "fc3"];

/** The kernel writing the buffer of a named graph output of the plan. */
const writerOf = (plan: Plan, output: string): number =>
  plan.kernels.findIndex((k) => k.out === plan.outputs[output]);

const isCall = (k: Kernel, call: string) => k.kind === "library" && k.call.kind === call;

describe("layer provenance through the pipeline", () => {
  const report = inspectPipeline(trainGraph("lenet", 8), {});
  const plan = report.planned;
  const layers = kernelLayers(report.graph, plan.kernels);

  it("labels the traced parameters by their pytree path, optimizer state included", () => {
    const inputs = report.stages[0]!.kind === "graph" ? report.stages[0]!.graph.inputs : {};
    expect(inputs["params.conv2.w"]!.path).toBe("conv2");
    expect(inputs["optState.m.fc1.b"]!.path).toBe("fc1");
    expect(inputs["x"]!.path).toBeUndefined();
  });

  it("gives each forward matmul the layer of the weight it reads, even through a transpose", () => {
    // A dense layer computes x @ transpose(w): the product is the weight's layer, not x's.
    const nodes = topoOrder(
      report.stages[0]!.kind === "graph" ? report.stages[0]!.graph : report.graph,
    );
    const weight = (n: (typeof nodes)[number]): string | undefined =>
      n.op === "input"
        ? String(n.attrs["name"])
        : n.inputs.length === 1
          ? weight(n.inputs[0]!)
          : undefined;
    const forward = nodes.filter(
      (n) => n.op === "matmul" && n.inputs.some((i) => weight(i)?.startsWith("params.")),
    );
    const named = forward.map((n) => {
      const w = n.inputs.map(weight).find((p) => p?.startsWith("params."))!;
      return [w.split(".")[1], n.path];
    });
    expect(named.map(([w]) => w)).toEqual(expect.arrayContaining(["fc1", "fc2", "fc3"]));
    for (const [w, path] of named) expect(path).toBe(w);
  });

  it("names the layers of the forward, backward and update kernels of LeNet's training step", () => {
    // The forward convolution reading the images is conv1's.
    const conv1 = plan.kernels.findIndex(
      (k) => isCall(k, "conv2d") && k.inputs.includes(plan.inputs["x"]!),
    );
    expect(layers[conv1]).toEqual(["conv1"]);
    // Each weight gradient is built by the VJP of its layer's op, so it carries that layer.
    const wgrads = plan.kernels.flatMap((k, i) => (isCall(k, "conv2d_grad_filter") ? [i] : []));
    expect(wgrads.map((i) => plan.buffers[plan.kernels[i]!.out]!.shape[0])).toEqual(
      expect.arrayContaining([6, 16]),
    );
    for (const i of wgrads) {
      const o = plan.buffers[plan.kernels[i]!.out]!.shape[0];
      expect(layers[i]).toContain(o === 6 ? "conv1" : "conv2");
    }
    // The fused Adam update of each weight names the layer it updates.
    for (const l of LENET_LAYERS) expect(layers[writerOf(plan, `params.${l}.w`)]).toContain(l);
  });

  it("labels every kernel with known layers only, and every layer with some kernel", () => {
    const seen = new Set(layers.flat());
    expect([...seen].sort()).toEqual(LENET_LAYERS);
    // Paths survive simplify: after it, no node that reads a labelled node has lost its label.
    const lost = topoOrder(report.graph).filter(
      (n) => n.path === undefined && n.inputs.some((i) => i.path !== undefined),
    );
    expect(lost.map((n) => n.op)).toEqual([]);
  });
});
