import { describe, expect, it } from "vitest";
import type { Tensor } from "../index";
import { avgPool2d, convOutputSize, grad, input, maxPool2d, mul, sin, sum } from "../index";
import { assertVjp, distinctTensor, randomTensor, rng } from "@loom/testing";

// ceilMode's shape rule against sizes computed by hand from PyTorch's documented rule, and the
// gradients of pooling with ceilMode (first and second order) by finite differences.

describe("pooling ceilMode", () => {
  // [H, kernel, stride, pad, floor size, ceil size], by hand: ceil((H + 2p - k)/s) + 1, minus
  // one when the last window would start in the right padding ((out-1)*s >= H + p).
  const SIZES: readonly (readonly [number, number, number, number, number, number])[] = [
    [5, 2, 2, 0, 2, 3], // windows start at 0, 2, 4
    [6, 3, 2, 1, 3, 4], // starts -1, 1, 3, 5 (the last reads input row 5 and one padded row)
    [5, 2, 3, 1, 2, 2], // a third window would start at 5 = H + p: dropped
    [8, 2, 3, 1, 3, 3], // likewise at 8
    [2, 1, 2, 0, 1, 1], // a second window would start at 2 = H
    [7, 3, 2, 0, 3, 3], // exact fit: floor and ceil agree
    [28, 3, 2, 1, 14, 15], // the 15th window starts at 27, inside the input
    [13, 3, 2, 0, 6, 6],
    [14, 3, 2, 0, 6, 7],
  ];

  it.each(SIZES)("H=%d k=%d s=%d p=%d: floor %d, ceil %d", (h, k, s, p, fl, ce) => {
    expect(convOutputSize(h, k, s, p, p, 1)).toBe(fl);
    expect(convOutputSize(h, k, s, p, p, 1, true)).toBe(ce);
    const x = input("x", [2, 3, h, h + 1]);
    const wce = convOutputSize(h + 1, k, s, p, p, 1, true);
    const opts = { kernel: k, stride: s, padding: p, ceilMode: true };
    expect(maxPool2d(x, opts).shape).toEqual([2, 3, ce, wce]);
    expect(avgPool2d(x, opts).shape).toEqual([2, 3, ce, wce]);
    expect(maxPool2d(x, { ...opts, ceilMode: false }).shape[2]).toBe(fl);
  });

  it("refuses a ceilMode that is not a boolean", () => {
    const x = input("x", [1, 1, 5, 5]);
    expect(() => maxPool2d(x, { kernel: 2, ceilMode: 1 as never })).toThrow(/ceilMode/);
  });

  const CASES = [
    { shape: [2, 2, 5, 6], kernel: 2, stride: 2, padding: 0 },
    { shape: [1, 2, 6, 7], kernel: 3, stride: 2, padding: 1 },
    { shape: [1, 1, 5, 8], kernel: 2, stride: 3, padding: 1 },
  ];

  it.each(CASES)("max pooling's gradient, %o", async ({ shape, ...o }) => {
    const f = ([x]: Tensor[]) => sin(maxPool2d(x!, { ...o, ceilMode: true }));
    await assertVjp(f, [distinctTensor(shape, rng(5))], { what: "maxPool2d ceilMode" });
  });

  it.each(CASES.flatMap((c) => [true, false].map((inc) => ({ ...c, countIncludePad: inc }))))(
    "avg pooling's gradients (first and second order), %o",
    async ({ shape, ...o }) => {
      const opts = { ...o, ceilMode: true };
      const next = rng(9);
      const x = randomTensor(shape, next);
      await assertVjp(([v]: Tensor[]) => sin(avgPool2d(v!, opts)), [x], { what: "avgPool2d" });
      const y = avgPool2d(input("x", shape), opts);
      const c = randomTensor(y.shape as number[], next);
      const second = ([v, ct]: Tensor[]) =>
        grad((u: Tensor) => sum(mul(avgPool2d(sin(u), opts), ct!)))(v!);
      await assertVjp(second, [x, c], { what: "second order" });
    },
  );
});
