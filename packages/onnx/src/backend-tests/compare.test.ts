import { describe, expect, it } from "vitest";
import { hostTensor } from "@loom/ops";
import { mismatch } from "./compare";

describe("mismatch (ONNX tolerances)", () => {
  const e = hostTensor([1, 100, Number.NaN], [3]);
  it("accepts values within atol + rtol*|expected|, and NaN for NaN", () => {
    expect(mismatch(hostTensor([1, 100.09, Number.NaN], [3]), e)).toBeUndefined();
  });
  it("names the first element outside the tolerance", () => {
    expect(mismatch(hostTensor([1, 100.2, Number.NaN], [3]), e)).toMatch(/element 1 is 100.19/);
    expect(mismatch(hostTensor([1, 100, 0], [3]), e)).toMatch(/element 2/);
  });
  it("refuses another shape or dtype", () => {
    expect(mismatch(hostTensor([1, 100, 0], [1, 3]), e)).toMatch(/shape/);
    expect(mismatch(hostTensor([1, 100, 0], [3], "int32"), e)).toMatch(/dtype/);
  });
});
