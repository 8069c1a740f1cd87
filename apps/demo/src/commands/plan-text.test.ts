import { describe, expect, it } from "vitest";
import { printPlan } from "@loom/graph";
import { modelGraph } from "@loom/models";
import { inspectPipeline } from "@loom/ops";
import { printKernelLayers, printLabelledPlan } from "./plan-text";

describe("loom inspect's plan text, labelled with layers", () => {
  const report = inspectPipeline(modelGraph("lenet", 4), {});
  const plan = report.planned;
  const text = printLabelledPlan(report.graph, plan);
  const kernelLines = text.split("\n").filter((l) => /^ {2}k\d+: /.test(l));

  it("keeps printPlan's text and only appends the layers to each kernel line", () => {
    const plain = printPlan(plan).split("\n");
    const lines = text.split("\n");
    expect(lines).toHaveLength(plain.length);
    lines.forEach((l, i) => expect(l.startsWith(plain[i]!)).toBe(true));
    expect(kernelLines).toHaveLength(plan.kernels.length);
  });

  it("labels each kernel reading a layer's weights with that layer", () => {
    // Independent of provenance: which parameter buffers the plan's kernels read.
    const owners = Object.entries(plan.inputs).flatMap(([name, b]) => {
      const m = /^params\.(\w+)\.w$/.exec(name);
      return m === null ? [] : [{ layer: m[1]!, buffer: b }];
    });
    expect(owners.map((o) => o.layer).sort()).toEqual(["conv1", "conv2", "fc1", "fc2", "fc3"]);
    for (const { layer, buffer } of owners) {
      const i = plan.kernels.findIndex((k) => k.inputs.includes(buffer));
      expect(kernelLines[i]).toMatch(new RegExp(` @ (.+, )?${layer}(,|$)`));
      expect(printKernelLayers(report.graph, plan.kernels[i]!)).toMatch(
        new RegExp(`^layers: (.+, )?${layer}(,|$)`),
      );
    }
  });
});
