import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import type { FitOptions } from "../train/fit";
import { labelShuffling, labelShufflingOrder } from "./label-shuffling";

/** 500 examples of class 0, 50 of class 1 and 5 of class 2, interleaved. */
const imbalanced = (): Int32Array => {
  const labels = new Int32Array(555);
  for (let i = 0; i < 555; i++) labels[i] = i % 111 === 0 ? 2 : i % 11 === 0 ? 1 : 0;
  return labels;
};

const counts = (xs: ArrayLike<number>): Map<number, number> => {
  const m = new Map<number, number>();
  for (let i = 0; i < xs.length; i++) m.set(xs[i]!, (m.get(xs[i]!) ?? 0) + 1);
  return m;
};

describe("labelShufflingOrder", () => {
  const labels = imbalanced();

  it("has the class sizes the test assumes", () => {
    expect([...counts(labels)].sort()).toEqual([
      [0, 500],
      [1, 50],
      [2, 5],
    ]);
  });

  it("makes a full round exactly balanced, repeating small classes evenly", () => {
    const order = labelShufflingOrder(labels, 7, 0);
    expect(order.length).toBe(1500);
    const byClass = counts(Array.from(order, (i) => labels[i]!));
    expect([...byClass].sort()).toEqual([
      [0, 500],
      [1, 500],
      [2, 500],
    ]);
    // Every example of a class appears equally often: 1, 10 and 100 times.
    const times = counts(order);
    for (let i = 0; i < labels.length; i++) expect(times.get(i)).toBe([1, 10, 100][labels[i]!]);
  });

  it("repeats a class that does not divide the largest one at most once more than others", () => {
    const ls = Int32Array.from([...new Array<number>(7).fill(4), 9, 9, 9]);
    const times = counts(labelShufflingOrder(ls, 1, 3));
    expect(times.size).toBe(10);
    for (let i = 0; i < 7; i++) expect(times.get(i)).toBe(1);
    const small = [7, 8, 9].map((i) => times.get(i)!);
    expect(small.reduce((a, b) => a + b)).toBe(7);
    for (const t of small) expect(t === 2 || t === 3).toBe(true);
  });

  it("draws the classes nearly equally in a prefix of n = count entries, as fit uses it", () => {
    for (let epoch = 0; epoch < 5; epoch++) {
      const order = labelShufflingOrder(labels, 11, epoch, labels.length);
      expect(order.length).toBe(555);
      for (const i of order) expect(i >= 0 && i < 555).toBe(true);
      // Drawing 555 of the 1500 round without replacement: each class count has mean 185 and
      // standard deviation sqrt(555 * 1/3 * 2/3 * (1500 - 555) / 1499) ~ 8.8.
      for (const [, n] of counts(Array.from(order, (i) => labels[i]!))) {
        expect(Math.abs(n - 185)).toBeLessThan(5 * 8.8);
      }
    }
  });

  it("appends further balanced rounds when asked for more than one", () => {
    const order = labelShufflingOrder(labels, 2, 0, 3000);
    expect(Array.from(order.subarray(0, 1500))).toEqual(
      Array.from(labelShufflingOrder(labels, 2, 0)),
    );
    expect(Array.from(order.subarray(1500))).not.toEqual(Array.from(order.subarray(0, 1500)));
    const byClass = counts(Array.from(order.subarray(1500), (i) => labels[i]!));
    expect([...byClass.values()]).toEqual([500, 500, 500]);
  });

  it("is a pure function of (seed, epoch), different across epochs and seeds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (seed, epoch) => {
          const a = Array.from(labelShufflingOrder(labels, seed, epoch, 300));
          expect(Array.from(labelShufflingOrder(labels, seed, epoch, 300))).toEqual(a);
          expect(Array.from(labelShufflingOrder(labels, seed, epoch + 1, 300))).not.toEqual(a);
          expect(Array.from(labelShufflingOrder(labels, seed + 1, epoch, 300))).not.toEqual(a);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("plugs into fit's order option, returning n entries", () => {
    const order: FitOptions["order"] = labelShuffling(labels, 5);
    const o = order!(2, 555);
    expect(Array.from(o)).toEqual(Array.from(labelShufflingOrder(labels, 5, 2, 555)));
  });

  it("refuses empty labels and bad seeds, epochs and counts", () => {
    expect(() => labelShufflingOrder(new Int32Array(0), 1, 0)).toThrow(LoomError);
    expect(() => labelShufflingOrder(labels, 0.5, 0)).toThrow(/seed/);
    expect(() => labelShufflingOrder(labels, 1, -1)).toThrow(/epoch/);
    expect(() => labelShufflingOrder(labels, 1, 0, 2.5)).toThrow(/count/);
  });
});
