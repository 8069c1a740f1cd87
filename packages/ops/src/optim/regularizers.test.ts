import { describe, expect, it } from "vitest";
import { input } from "../core";
import { l1Penalty, l2Penalty, weightsOnly } from "./regularizers";

describe("weightsOnly", () => {
  it("keeps leaves named w or weight, not biases or batch-norm params", () => {
    const picked = [
      "dense1.w",
      "conv.weight",
      "w",
      "layers.0.w",
      "dense1.b",
      "conv.bias",
      "bn.gamma",
      "bn.beta",
      "kw",
      "dense.w0",
    ].filter(weightsOnly);
    expect(picked).toEqual(["dense1.w", "conv.weight", "w", "layers.0.w"]);
  });
});

describe("penalties build scalar loss terms of the params' dtype", () => {
  const params = { d: { w: input("w", [3, 2], "float64"), b: input("b", [2], "float64") } };
  it("l2 and l1 are float64 scalars", () => {
    for (const t of [l2Penalty(params, 0.1), l1Penalty(params, 0.1)]) {
      expect(t.shape).toEqual([]);
      expect(t.dtype).toBe("float64");
    }
  });
  it("with nothing chosen they are a 0 of the params' dtype", () => {
    const t = l2Penalty({ b: input("b", [2], "float64") }, 0.1);
    expect(t.op).not.toBe("input");
    expect(t.dtype).toBe("float64");
  });
  it("reject a negative lambda", () => {
    expect(() => l2Penalty(params, -1)).toThrow(/lambda must be a number >= 0/);
  });
});
