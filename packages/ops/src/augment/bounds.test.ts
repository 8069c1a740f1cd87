import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { input } from "../core";
import * as augment from "./index";

// Shifts and crops are bounded by the image size when the graph is built: a huge shift used to
// build 2 * max + 1 shifted views per axis (a stack trace at 1000, a stack overflow at 10^4, a
// hang at 10^9). Graph building only: nothing runs.

const k = input("key", [2], "int32");
const digits = input("x", ["N", 1, 28, 28]);
const wide = input("x", ["N", 3, 8, 40]);

describe("augmentation parameters bounded by the image size", () => {
  it.each([
    ["randomShift", (m: number) => augment.randomShift({ max: m }), "max"],
    ["randomCrop", (m: number) => augment.randomCrop({ padding: m }), "padding"],
  ] as const)("%s refuses a shift past the image at once, naming the limit", (op, make, name) => {
    for (const m of [28, 1000, 10_000, 1e9]) {
      const t0 = performance.now();
      const e = (() => {
        try {
          make(m)(k, digits);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(LoomError);
      expect((e as LoomError).message).toBe(
        `${op}: ${name} must be at most 27 for 28x28 images (one less than their size), got ${m}`,
      );
      expect(performance.now() - t0).toBeLessThan(100);
    }
    // The smaller side bounds a wide image.
    expect(() => make(8)(k, wide)).toThrow(/at most 7 for 8x40 images/);
    expect(make(7)(k, wide).shape).toEqual(["N", 3, 8, 40]);
    expect(make(27)(k, digits).shape).toEqual(["N", 1, 28, 28]);
  });

  it("still refuses non-integer and negative shifts when the augmentation is made", () => {
    expect(() => augment.randomShift({ max: 1.5 })).toThrow(/max must be an integer >= 0/);
    expect(() => augment.randomCrop({ padding: -1 })).toThrow(/padding must be an integer >= 0/);
    expect(() => augment.randomShift({ max: Infinity })).toThrow(LoomError);
  });
});
