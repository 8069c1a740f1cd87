import { describe, expect, it } from "vitest";
import { hostTensor } from "@loom/ops";
import { activationImages, firstLayerImages, MAX_CHANNELS } from "./pictures";

const ramp = (n: number) => Float32Array.from({ length: n }, (_, k) => k);

describe("firstLayerImages", () => {
  it("takes a conv's filters on the first input channel, in the model's order", () => {
    // conv1 [3 filters, 2 input channels, 2x2]: filter c's first channel starts at c * 8.
    const params = {
      conv1: { w: hostTensor(ramp(24), [3, 2, 2, 2]), b: hostTensor(ramp(3), [3]) },
      fc: { w: hostTensor(ramp(20), [10, 2]) },
    };
    const f = firstLayerImages(params)!;
    expect(f).toMatchObject({ name: "params.conv1.w", channels: 3, height: 2, width: 2 });
    expect(Array.from(f.data)).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19]);
  });

  it("shows a dense layer on 784 inputs as 28x28 units, and nothing for other weights", () => {
    const f = firstLayerImages({ fc1: { w: hostTensor(ramp(2 * 784), [2, 784]) } })!;
    expect(f).toMatchObject({ name: "params.fc1.w", channels: 2, height: 28, width: 28 });
    expect(f.data[784]).toBe(784);
    expect(firstLayerImages({ fc: { w: hostTensor(ramp(20), [10, 2]) } })).toBeUndefined();
  });
});

describe("activationImages", () => {
  it("keeps the first channels of a conv activation and shows a dense one as a strip", () => {
    const conv = activationImages("act1", hostTensor(ramp(20 * 4), [1, 20, 2, 2]));
    expect(conv).toMatchObject({ channels: MAX_CHANNELS, height: 2, width: 2 });
    expect(conv.data).toHaveLength(MAX_CHANNELS * 4);
    expect(activationImages("fc1", hostTensor(ramp(5), [1, 5]))).toMatchObject({
      channels: 1,
      height: 1,
      width: 5,
    });
  });
});
