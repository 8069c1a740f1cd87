import * as tf from "@tensorflow/tfjs";
import { referenceBackend } from "@loom/backend-cpu";
import { describe, expect, it } from "vitest";
import { numel } from "@loom/graph";
import type { ModelVars } from "@loom/models";
import type { Tensor, Tree } from "@loom/ops";
import { hostTensor, isTensor, mapTree, trace } from "@loom/ops";
import type { StepSpec } from "./cases";
import { CASES, labelArray, makeStepData, modelOf, selectCases, uniformArray } from "./cases";
import { loomBackends, loomImpls, stepRunner } from "./loom";
import { nchwToNhwc, oihwToHwio, tfStepRunner, useTfBackend } from "./peers-tf";

/**
 * Small uniform initial variables in the shapes `model.init` gives, found by tracing it without
 * running it (loom's own initialisation on the reference interpreter takes seconds).
 */
const uniformVars = (spec: StepSpec): ModelVars => {
  let seed = 100;
  const traced = trace((io) => modelOf(spec).init(io.key, { shape: [spec.batch, 1, 28, 28] }), {
    key: { shape: [2], dtype: "int32" },
  });
  const out = traced.outputStructure as { params: Tree<Tensor>; state: Tree<Tensor> };
  const fill = (t: Tree<Tensor>) =>
    mapTree(t, isTensor, (x) => {
      const shape = x.shape as number[];
      return hostTensor(uniformArray(numel(shape), seed++, -0.1, 0.1), shape);
    });
  return { params: fill(out.params), state: fill(out.state) };
};

/** Losses of `steps` consecutive SGD steps from the same start, on loom's reference backend and on tfjs-cpu. */
const lossesOfBothSides = async (spec: StepSpec, steps: number) => {
  const data = await makeStepData(spec, 7, uniformVars(spec));
  const loom = await stepRunner(referenceBackend(), undefined, spec, data);
  await useTfBackend("cpu");
  const peer = tfStepRunner(spec, data);
  const both: { loom: number; tfjs: number }[] = [];
  for (let i = 0; i < steps; i++)
    both.push({ loom: (await loom.run())!, tfjs: (await peer.run())! });
  loom.dispose();
  peer.dispose();
  return both;
};

describe("the training-step cases do the same work on loom and tfjs", () => {
  it("MLP 784-256-10: same loss before and after an SGD step, from identical weights", async () => {
    const spec: StepSpec = { kind: "step", model: "mlp", batch: 4, lr: 0.1 };
    const losses = await lossesOfBothSides(spec, 2);
    // The loss of a 10-class model at its initialisation is near ln(10).
    expect(losses[0]!.loom).toBeGreaterThan(1.5);
    expect(losses[0]!.loom).toBeLessThan(3.5);
    // It moves with the updates (so the second loss checks the update, not just the forward).
    expect(Math.abs(losses[1]!.loom - losses[0]!.loom)).toBeGreaterThan(1e-3);
    for (const l of losses) expect(l.tfjs).toBeCloseTo(l.loom, 5);
  });

  it("LeNet-5 (NCHW in loom, NHWC in tfjs): same loss before and after an SGD step", async () => {
    const spec: StepSpec = { kind: "step", model: "lenet", batch: 1, lr: 0.1 };
    const losses = await lossesOfBothSides(spec, 2);
    expect(Math.abs(losses[1]!.loom - losses[0]!.loom)).toBeGreaterThan(1e-4);
    for (const l of losses) expect(l.tfjs).toBeCloseTo(l.loom, 4);
  });
});

describe("layout conversions", () => {
  it("nchwToNhwc moves channels last, as tf.transpose does", () => {
    const shape = [2, 3, 4, 5];
    const x = uniformArray(120, 3);
    const expected = tf.transpose(tf.tensor4d(x, [2, 3, 4, 5]), [0, 2, 3, 1]).dataSync();
    expect(Array.from(nchwToNhwc(x, shape))).toEqual(Array.from(expected));
  });

  it("oihwToHwio gives tfjs's filter layout, as tf.transpose does", () => {
    const w = uniformArray(6 * 2 * 3 * 4, 4);
    const expected = tf.transpose(tf.tensor4d(w, [6, 2, 3, 4]), [2, 3, 1, 0]).dataSync();
    expect(Array.from(oihwToHwio(w, [6, 2, 3, 4]))).toEqual(Array.from(expected));
  });
});

describe("case definitions", () => {
  it("count the FLOPs of matmul as 2n^3 and of a conv as 2 * outputs * window", () => {
    const byName = Object.fromEntries(CASES.map((c) => [c.name, c]));
    expect(byName["matmul-1024"]!.flops).toBe(2 * 1024 ** 3);
    // conv1: 32 images, 6 maps of 28x28 ('same'), each a 1x5x5 window.
    expect(byName["conv2d-lenet1"]!.flops).toBe(2 * 32 * 6 * 28 * 28 * 25);
    // conv2: 16 maps of 10x10 ('valid' on 14x14), each a 6x5x5 window.
    expect(byName["conv2d-lenet2"]!.flops).toBe(2 * 32 * 16 * 10 * 10 * 150);
    // The ResNet layer: the forward conv and its two gradients, each 2 * outputs * window.
    expect(byName["conv2d-resnet-grads"]!.flops).toBe(3 * 2 * 8 * 64 * 56 * 56 * 64 * 9);
    expect(byName["mlp-step"]!.flops).toBeNull();
  });

  it("select cases by substring", () => {
    expect(selectCases("matmul").map((c) => c.name)).toEqual(["matmul-256", "matmul-1024"]);
    expect(selectCases("")).toHaveLength(CASES.length);
    expect(selectCases("nope")).toEqual([]);
  });

  it("make the same deterministic inputs for every side", () => {
    expect(Array.from(uniformArray(5, 9))).toEqual(Array.from(uniformArray(5, 9)));
    expect(Array.from(uniformArray(5, 9))).not.toEqual(Array.from(uniformArray(5, 10)));
    const u = uniformArray(1000, 1, 0, 1);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const labels = labelArray(1000, 10, 2);
    expect(new Set(labels).size).toBe(10);
    expect(labels.every((l) => l >= 0 && l < 10)).toBe(true);
  });

  it("find the optimised loom backend only when @loom/backend-cpu exports cpuBackend", () => {
    expect(loomBackends({}).map((b) => b.impl)).toEqual(["loom-reference"]);
    const fake = { cpuBackend: referenceBackend };
    expect(loomBackends(fake).map((b) => b.impl)).toEqual([
      "loom-cpu",
      "loom-cpu-1t",
      "loom-cpu-js",
      "loom-reference",
    ]);
  });

  it("keep the slow reference interpreter to the cases it can finish", () => {
    const skipped = (mod: object, impl: string) => {
      const i = loomImpls(mod).find((x) => x.name === impl)!;
      return CASES.filter((c) => i.skip(c) !== undefined).map((c) => c.name);
    };
    const huge = [
      "matmul-1024",
      "conv2d-resnet",
      "conv2d-resnet-grads",
      "lenet-cold-step",
      "resnet20-step",
      "resnet18-forward",
    ];
    expect(skipped({}, "loom-reference")).toEqual(huge);
    const fake = { cpuBackend: referenceBackend };
    expect(skipped(fake, "loom-reference")).toEqual([
      "matmul-1024",
      "conv2d-resnet",
      "conv2d-resnet-grads",
      "lenet-step",
      "lenet-cold-step",
      "resnet20-step",
      "lenet-forward",
      "resnet18-forward",
    ]);
    expect(skipped(fake, "loom-cpu")).toEqual([]);
  });
});
