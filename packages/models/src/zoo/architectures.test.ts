import { describe, expect, it } from "vitest";
import type { Shape } from "@loom/graph";
import { LoomError, numel } from "@loom/graph";
import type { nn } from "@loom/ops";
import { flattenTree, isSpec } from "@loom/ops";
import { getModel, MODEL_NAMES, modelGraph, varSpecs } from "../registry";
import { summarize } from "../summary";
import { adaptiveBins } from "@loom/ops";
import { alexnet } from "./alexnet";
import { cifarResnet, resnet } from "./resnet";
import { vgg } from "./vgg";

// Everything here is shape inference alone: no graph is run.

const paramCount = (layer: nn.Layer, example: readonly number[]) =>
  flattenTree(varSpecs(layer, { shape: [1, ...example] }).params, isSpec).reduce(
    (n, { leaf }) => n + numel(leaf.shape as number[]),
    0,
  );

const outputShape = (name: string, opts = {}): Shape =>
  modelGraph(name, "N", opts).outputs["logits"]!.shape;

/** MACs of conv layers [out channels, in channels, kernel, output side] and dense layers [in, out]. */
const convMacs = (layers: [number, number, number, number][]) =>
  layers.reduce((s, [o, c, k, side]) => s + o * c * k * k * side * side, 0);
const denseMacs = (layers: [number, number][]) => layers.reduce((s, [i, o]) => s + i * o, 0);

describe("architectures: parameter counts", () => {
  it.each([
    ["lenet", 61_706],
    ["alexnet", 61_100_840],
    ["vgg11", 132_863_336],
    ["vgg16", 138_357_544],
    ["resnet18", 11_689_512],
    ["resnet34", 21_797_672],
    ["resnet50", 25_557_032],
  ])("%s has the published %d parameters", (name, count) => {
    const { layer, input } = getModel(name);
    expect(paramCount(layer, input)).toBe(count);
    expect(summarize(layer, { shape: ["N", ...input] }).params).toBe(count);
  });

  it("counts CIFAR ResNet parameters by hand (option A has a parameter-free shortcut)", () => {
    // conv1 + bn, then per stage its blocks' two 3x3 convs and two batch norms, then fc.
    const stage = (cin: number, c: number, n: number) =>
      9 * cin * c + 9 * c * c + 4 * c + (n - 1) * (18 * c * c + 4 * c);
    const count = (channels: number, n: number, projections = 0) =>
      9 * channels * 16 +
      32 +
      stage(16, 16, n) +
      stage(16, 32, n) +
      stage(32, 64, n) +
      650 +
      projections;
    expect(count(3, 3)).toBe(269_722); // He et al.'s "0.27M"
    expect(paramCount(cifarResnet(20), [3, 32, 32])).toBe(count(3, 3));
    expect(paramCount(getModel("resnet20").layer, [1, 28, 28])).toBe(count(1, 3));
    expect(paramCount(getModel("resnet32").layer, [1, 28, 28])).toBe(count(1, 5));
    expect(paramCount(getModel("resnet56").layer, [1, 28, 28])).toBe(count(1, 9));
    // Option B: 1x1 projections with batch norm at the two stage changes.
    const proj = 16 * 32 + 64 + 32 * 64 + 128;
    expect(paramCount(cifarResnet(20, { shortcut: "B" }), [3, 32, 32])).toBe(count(3, 3, proj));
  });

  it("has a small VGG for the digits: convs 32-32-64-64, fc 3136-128-128-10", () => {
    const convs = [32 * 9 + 32, 32 * 32 * 9 + 32, 64 * 32 * 9 + 64, 64 * 64 * 9 + 64];
    const fcs = [64 * 49 * 128 + 128, 128 * 128 + 128, 128 * 10 + 10];
    expect(paramCount(getModel("vgg-small").layer, [1, 28, 28])).toBe(
      [...convs, ...fcs].reduce((a, b) => a + b, 0),
    );
  });

  it("scales with classes and width", () => {
    expect(paramCount(resnet(18, { classes: 10 }), [3, 64, 64])).toBe(11_689_512 - 990 * 513);
    expect(paramCount(vgg(16, { batchNorm: true }), [3, 224, 224])).toBe(
      138_357_544 + 2 * (64 * 2 + 128 * 2 + 256 * 3 + 512 * 6),
    );
    // AlexNet at width 1/8 with 64 hidden units: convs 8-24-48-32-32, classifier 32*36 -> 64 -> 64 -> 5.
    const small = [8 * 3 * 121 + 8, 24 * 8 * 25 + 24, 48 * 24 * 9 + 48, 32 * 48 * 9 + 32]
      .concat([32 * 32 * 9 + 32, 32 * 36 * 64 + 64, 64 * 64 + 64, 64 * 5 + 5])
      .reduce((a, b) => a + b, 0);
    expect(paramCount(alexnet({ width: 1 / 8, hidden: 64, classes: 5 }), [3, 63, 63])).toBe(small);
  });
});

describe("architectures: output shapes", () => {
  it.each(MODEL_NAMES.map((n) => [n]))("%s maps its default input to [N, classes]", (name) => {
    const classes = [
      "perceptron",
      "mlp",
      "lenet",
      "vgg-small",
      "resnet20",
      "resnet32",
      "resnet56",
    ].includes(name)
      ? 10
      : 1000;
    expect(outputShape(name)).toEqual(["N", classes]);
    expect(outputShape(name, { classes: 7 })).toEqual(["N", 7]);
  });

  it.each([
    ["alexnet", [3, 63, 63]],
    ["alexnet", [3, 100, 80]],
    ["vgg11", [3, 32, 32]],
    ["vgg16", [3, 48, 64]],
    ["resnet18", [3, 64, 64]],
    ["resnet50", [3, 32, 32]],
    ["resnet20", [3, 32, 32]],
    ["resnet56", [1, 28, 28]],
    ["lenet", [1, 28, 28]],
  ])("%s accepts an input of %j", (name, input) => {
    expect(outputShape(name, { input, classes: 10 })).toEqual(["N", 10]);
  });

  it("has torchvision's feature map sizes at 224x224", () => {
    const shapes = (name: string) =>
      Object.fromEntries(
        summarize(getModel(name).layer, { shape: ["N", 3, 224, 224] }, { depth: 2 }).layers.map(
          (l) => [l.name, l.outputShape],
        ),
      );
    const a = shapes("alexnet");
    expect(a["features.conv1"]).toEqual(["N", 64, 55, 55]);
    expect(a["features.pool5"]).toEqual(["N", 256, 6, 6]);
    expect(a["flatten"]).toEqual(["N", 9216]);
    const v = shapes("vgg16");
    expect(v["features.pool5"]).toEqual(["N", 512, 7, 7]);
    expect(v["flatten"]).toEqual(["N", 25088]);
    const r = shapes("resnet50");
    expect(r["maxpool"]).toEqual(["N", 64, 56, 56]);
    expect(r["layer1.2"]).toEqual(["N", 256, 56, 56]);
    expect(r["layer2.0"]).toEqual(["N", 512, 28, 28]);
    expect(r["layer4.2"]).toEqual(["N", 2048, 7, 7]);
    expect(r["avgpool"]).toEqual(["N", 2048]);
  });

  it("takes PyTorch's adaptive pooling bins", () => {
    expect(adaptiveBins(6, 6)).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, i + 1]));
    expect(adaptiveBins(1, 6)).toEqual(Array(6).fill([0, 1]));
    expect(adaptiveBins(10, 4)).toEqual([
      [0, 3],
      [2, 5],
      [5, 8],
      [7, 10],
    ]);
  });

  it("rejects bad configurations with LoomErrors", () => {
    expect(() => outputShape("alexnet", { input: [3, 62, 62] })).toThrow(LoomError);
    expect(() => outputShape("alexnet", { input: [3, 62, 62] })).toThrow(/at least 63x63/);
    expect(() => outputShape("vgg11", { input: [3, 31, 32] })).toThrow(/vgg11: needs .* 32x32/);
    expect(() => outputShape("resnet20", { input: [3, 28, 28] })).not.toThrow();
    expect(() => modelGraph("resnet20")).not.toThrow();
    expect(() =>
      varSpecs(cifarResnet(20, { inputChannels: 1 }), { shape: [1, 3, 32, 32] }),
    ).toThrow(/configured for 1 input channels.*inputChannels: 3/);
    expect(() => cifarResnet(21)).toThrow(/6n\+2/);
    expect(() => resnet(19 as never)).toThrow(/18, 34, 50/);
    expect(() => vgg(12 as never)).toThrow(/11, 13, 16 or 19/);
    expect(() => alexnet({ classes: 0 })).toThrow(/classes must be a positive integer/);
    expect(() => getModel("resnet18", { input: [3, -1, 4] })).toThrow(/positive integers/);
  });
});

describe("summarize", () => {
  it("counts ResNet-18 and ResNet-50 MACs as torchvision does (1.81 G, 4.09 G)", () => {
    const macs = (name: string) =>
      summarize(getModel(name).layer, { shape: ["N", 3, 224, 224] }).macs;
    const r18 = macs("resnet18");
    const r50 = macs("resnet50");
    expect(Number((r18 / 1e9).toPrecision(3))).toBe(1.81);
    expect(Number((r50 / 1e9).toPrecision(3))).toBe(4.09);
    // ResNet-18 by hand: stem, stages (first block of stages 2-4 strided, with a projection), fc.
    const stage = (cin: number, c: number, side: number, projection: boolean) =>
      convMacs([
        [c, cin, 3, side],
        [c, c, 3, side],
        [c, c, 3, side],
        [c, c, 3, side],
      ]) + (projection ? convMacs([[c, cin, 1, side]]) : 0);
    expect(r18).toBe(
      convMacs([[64, 3, 7, 112]]) +
        stage(64, 64, 56, false) +
        stage(64, 128, 28, true) +
        stage(128, 256, 14, true) +
        stage(256, 512, 7, true) +
        denseMacs([[512, 1000]]),
    );
  });

  it("gives AlexNet's and LeNet's MACs per layer, computed by hand", () => {
    const a = summarize(getModel("alexnet").layer, { shape: ["N", 3, 224, 224] });
    const convs: [number, number, number, number][] = [
      [64, 3, 11, 55],
      [192, 64, 5, 27],
      [384, 192, 3, 13],
      [256, 384, 3, 13],
      [256, 256, 3, 13],
    ];
    const fcs: [number, number][] = [
      [9216, 4096],
      [4096, 4096],
      [4096, 1000],
    ];
    expect(a.macs).toBe(convMacs(convs) + denseMacs(fcs));
    const byName = Object.fromEntries(a.layers.map((l) => [l.name, l]));
    expect(byName["features.conv2"]!.macs).toBe(convMacs([convs[1]!]));
    expect(byName["features.conv2"]!.params).toBe(192 * 64 * 25 + 192);
    expect(byName["classifier.fc1"]!.macs).toBe(9216 * 4096);
    expect(byName["features.relu2"]!.macs).toBe(0);
    const l = summarize(getModel("lenet").layer, { shape: ["N", 1, 28, 28] });
    expect(l.macs).toBe(
      convMacs([
        [6, 1, 5, 28],
        [16, 6, 5, 10],
      ]) +
        denseMacs([
          [400, 120],
          [120, 84],
          [84, 10],
        ]),
    );
  });

  it("rows at each depth add up to the totals", () => {
    const { layer, input } = getModel("resnet50");
    for (const depth of [1, 2, 4]) {
      const s = summarize(layer, { shape: ["N", ...input] }, { depth });
      expect(s.layers.reduce((a, r) => a + r.params, 0)).toBe(s.params);
      expect(s.layers.reduce((a, r) => a + r.macs, 0)).toBe(s.macs);
    }
    const top = summarize(layer, { shape: ["N", ...input] }, { depth: 1 }).layers;
    expect(top.map((r) => r.name)).toEqual([
      "conv1",
      "bn1",
      "relu",
      "maxpool",
      "layer1",
      "layer2",
      "layer3",
      "layer4",
      "avgpool",
      "fc",
    ]);
    const blocks = summarize(layer, { shape: ["N", ...input] }).layers.map((r) => r.name);
    expect(blocks.filter((n) => n.startsWith("layer3."))).toHaveLength(6);
  });

  it("scales MACs with a concrete batch and counts a symbolic one as 1", () => {
    const { layer } = getModel("lenet");
    const one = summarize(layer, { shape: ["N", 1, 28, 28] }).macs;
    expect(summarize(layer, { shape: [1, 1, 28, 28] }).macs).toBe(one);
    expect(summarize(layer, { shape: [4, 1, 28, 28] }).macs).toBe(4 * one);
    expect(() => summarize(layer, { shape: ["N", 1, 28, 28] }, { depth: 0 })).toThrow(LoomError);
  });
});
