import { describe, expect, it } from "vitest";
import { graphKey, LoomError, numel } from "@loom/graph";
import type { nn } from "@loom/ops";
import { flattenTree, isSpec } from "@loom/ops";
import { getModel, modelGraph, varSpecs } from "./registry";
import { lenet5 } from "./zoo/lenet";

const paramCount = (layer: nn.Layer, input: readonly number[]) =>
  flattenTree(varSpecs(layer, { shape: [1, ...input] }).params, isSpec).reduce(
    (n, { leaf }) => n + numel(leaf.shape as number[]),
    0,
  );

describe("model registry", () => {
  it("builds structurally equal graphs on every call (no hidden state)", () => {
    expect(graphKey(modelGraph("lenet"))).toBe(graphKey(modelGraph("lenet")));
    expect(graphKey(modelGraph("mlp", 32))).toBe(graphKey(modelGraph("mlp", 32)));
    expect(graphKey(modelGraph("mlp", 32))).not.toBe(graphKey(modelGraph("mlp", 64)));
  });

  it("has the published LeNet-5 parameter count at 32x32 and 28x28 (padded) inputs", () => {
    expect(paramCount(lenet5({ inputSize: 32 }), [1, 32, 32])).toBe(61706);
    expect(paramCount(lenet5(), [1, 28, 28])).toBe(61706);
  });

  it("counts 784-256-128-10 MLP and perceptron parameters", () => {
    expect(paramCount(getModel("mlp").layer, [1, 28, 28])).toBe(
      784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10,
    );
    expect(paramCount(getModel("perceptron").layer, [1, 28, 28])).toBe(7850);
  });

  it("rejects unknown models with the list of known ones", () => {
    expect(() => modelGraph("resnet9000")).toThrow(LoomError);
    expect(() => modelGraph("resnet9000")).toThrow(/known models: perceptron, mlp, lenet/);
  });
});
