import { describe, expect, it } from "vitest";
import { modelLine, trainedText } from "./model-text";

describe("trainedText", () => {
  it("says how many steps a run stopped mid-epoch made, and in which epoch it stopped", () => {
    expect(trainedText({ epoch: 0, step: 95, stoppedInEpoch: 1 })).toBe(
      "95 steps, stopped in epoch 1",
    );
    expect(trainedText({ epoch: 2, step: 1300, stoppedInEpoch: 3 })).toBe(
      "1,300 steps, stopped in epoch 3",
    );
  });

  it("counts whole runs in epochs and steps", () => {
    expect(trainedText({ epoch: 1, step: 109 })).toBe("1 epoch (109 steps)");
    expect(trainedText({ epoch: 3, step: 327 })).toBe("3 epochs (327 steps)");
  });
});

describe("modelLine", () => {
  it("names the model, its batch norm and where it comes from", () => {
    expect(
      modelLine({
        model: "resnet20",
        source: "trained",
        backend: "cpu",
        epoch: 1,
        step: 2,
        batchNorm: true,
      }),
    ).toBe("ResNet-20 with batch norm trained here on the CPU: 1 epoch (2 steps).");
    expect(
      modelLine({
        model: "mlp",
        source: "trained",
        backend: "webgl",
        epoch: 0,
        step: 95,
        stoppedInEpoch: 1,
      }),
    ).toBe("MLP trained here on WebGL: 95 steps, stopped in epoch 1.");
    expect(
      modelLine({
        model: "lenet",
        source: "loaded",
        epoch: 1,
        step: 60,
        fileName: "lenet.safetensors",
      }),
    ).toBe("LeNet-5 loaded from lenet.safetensors: 1 epoch (60 steps).");
    expect(
      modelLine({
        model: "onnx:main_graph",
        source: "loaded",
        epoch: 0,
        step: 0,
        fileName: "m.onnx",
      }),
    ).toBe("ONNX model main_graph loaded from m.onnx.");
  });
});
