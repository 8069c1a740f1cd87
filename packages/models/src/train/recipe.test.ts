import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { input } from "@loom/ops";
import { MAX_AUGMENTATIONS, parseAugment, parseSchedule } from "./recipe";

// --augment specs are checked when they are parsed, against the image size and sane ranges, so
// `shift:1000` (a stack trace), `shift:10000` (a stack overflow) and `shift:1e9` or
// `crop:100000` (a hang) are one clear LoomError before any graph is built.

const MNIST = [1, 28, 28] as const;

const refusal = (spec: string, image?: readonly number[]): LoomError => {
  try {
    parseAugment(spec, image);
  } catch (e) {
    expect(e).toBeInstanceOf(LoomError);
    return e as LoomError;
  }
  return expect.unreachable(`${spec} should be refused`);
};

describe("parseAugment", () => {
  it.each([
    [
      "shift:1000",
      /"shift:1000": the shift must be at most 27 for 28x28 images, got 1000; use shift:P/,
    ],
    ["shift:10000", /the shift must be at most 27 for 28x28 images, got 10000/],
    ["shift:1e9", /the shift must be at most 27 for 28x28 images, got 1000000000/],
    ["crop:100000", /the crop padding must be at most 27 for 28x28 images, got 100000/],
    ["shift:28", /at most 27/],
    ["shift:1.5", /the shift must be a whole number of pixels, got 1.5/],
    ["shift:", /arguments must be non-negative numbers/],
    ["shift:1e309", /arguments must be non-negative numbers/],
    ["shift:-1", /arguments must be non-negative numbers/],
    ["shift:NaN", /arguments must be non-negative numbers/],
    ["rotate:181", /the angle must be in \[0, 180\], got 181/],
    ["scale:0:1", /the scale factors must be in \[0.1, 10\], got 0/],
    ["scale:0.5:1000", /the scale factors must be in \[0.1, 10\], got 1000/],
    ["scale:2:1", /MIN must not exceed MAX, got 2 > 1/],
    ["noise:5", /the noise std must be in \[0, 1\], got 5/],
    ["jitter:0.1:2:0", /the jitter strengths must be in \[0, 1\], got 2/],
    ["jitter:0.1", /jitter takes 3 arguments/],
    ["blur:3", /unknown augmentation/],
    [" , ,", /empty spec/],
  ])("refuses %j at parse time with a clear message", (spec, message) => {
    const t0 = performance.now();
    const e = refusal(spec, MNIST);
    expect(e.message).toMatch(/^augment: /);
    expect(e.message).toMatch(message);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("refuses more than MAX_AUGMENTATIONS terms", () => {
    const spec = Array.from({ length: MAX_AUGMENTATIONS + 1 }, () => "flip").join(",");
    expect(refusal(spec, MNIST).message).toMatch(/17 augmentations; use at most 16/);
  });

  it("accepts the largest sane values and builds their graph", () => {
    const aug = parseAugment(
      "shift:27,crop:27,rotate:180,scale:0.1:10,noise:1,jitter:1:1:1,flip,vflip",
      MNIST,
    );
    const y = aug(input("key", [2], "int32"), input("x", ["N", 1, 28, 28]));
    expect(y.shape).toEqual(["N", 1, 28, 28]);
  });

  it("without an image size, bounds shifts when the graph is built", () => {
    const aug = parseAugment("shift:1000");
    expect(() => aug(input("key", [2], "int32"), input("x", ["N", 1, 28, 28]))).toThrow(
      /randomShift: max must be at most 27 for 28x28 images/,
    );
  });
});

describe("parseSchedule", () => {
  it("refuses an empty argument rather than reading it as 0", () => {
    expect(() => parseSchedule("exp:", 0.1, 10)).toThrow(/arguments must be non-negative numbers/);
    expect(() => parseSchedule("nope", 0.1, 10)).toThrow(/unknown schedule/);
  });
});
