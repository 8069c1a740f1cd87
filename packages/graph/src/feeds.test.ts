import { describe, expect, it } from "vitest";
import { checkFeeds } from "./feeds";
import type { Plan } from "./plan";

const plan: Plan = {
  buffers: [{ id: 0, shape: [2, 3], dtype: "float32", kind: "input" }],
  kernels: [],
  inputs: { x: 0 },
  outputs: { y: 0 },
};
const feed = (
  data: ArrayLike<number>,
  shape: number[],
  dtype: "float32" | "int32" = "float32",
) => ({
  x: { data: dtype === "int32" ? Int32Array.from(data) : Float32Array.from(data), shape, dtype },
});

describe("checkFeeds", () => {
  it("accepts feeds of the inputs' shapes and dtypes", () => {
    expect(() => checkFeeds(plan, feed([1, 2, 3, 4, 5, 6], [2, 3]))).not.toThrow();
  });

  it.each([
    ["a missing input", {}, /missing_feed|no value fed for input "x" \[2,3\]; feeds: none/],
    [
      "another shape",
      feed([1, 2, 3, 4, 5, 6], [3, 2]),
      /expects float32\[2,3\], was fed float32\[3,2\]/,
    ],
    ["another dtype", feed([1, 2, 3, 4, 5, 6], [2, 3], "int32"), /was fed int32\[2,3\]/],
    ["too few values", feed([1, 2, 3], [2, 3]), /with 3 values/],
  ])("names the input, the shapes and the dtypes for %s", (_, feeds, message) => {
    expect(() => checkFeeds(plan, feeds)).toThrow(message);
  });
});
