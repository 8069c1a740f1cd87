import { describe, expect, it } from "vitest";
import { confusionOf } from "./confusion";

describe("confusionOf", () => {
  it("counts (true, predicted) pairs and each class's accuracy", () => {
    // Class 0: 3 digits, 2 right; class 1: 1 digit, wrong (read as 2); class 2: 2, both right.
    const c = confusionOf([0, 0, 0, 1, 2, 2], [0, 1, 0, 2, 2, 2], 3);
    expect(Array.from(c.counts)).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 2]);
    expect(c.perClass).toEqual([
      { count: 3, accuracy: 2 / 3 },
      { count: 1, accuracy: 0 },
      { count: 2, accuracy: 1 },
    ]);
  });

  it("gives NaN accuracy to a class with no digits", () => {
    expect(confusionOf([0], [0], 2).perClass[1]).toEqual({ count: 0, accuracy: NaN });
  });
});
