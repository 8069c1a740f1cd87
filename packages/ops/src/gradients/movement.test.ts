import fc from "fast-check";
import { describe, it } from "vitest";
import type { Tensor } from "../index";
import {
  broadcastTo,
  concat,
  expandDims,
  flatten,
  flip,
  max,
  mean,
  min,
  mul,
  pad,
  reshape,
  sin,
  slice,
  squeeze,
  sum,
  transpose,
} from "../index";
import { distinctTensor, intsArb, randomTensor, shapeArb, vjpProperty } from "@loom/testing";

// Gradient checks of the movement primitives and the reductions, in float64 on random shapes
// and attributes. Movement ops are linear, so each is composed with `sin` to make the check
// see where every element went, not only how many there were.

const RUNS = 12;

/** A random permutation of `0..n-1` from fast-check's shuffles. */
const permArb = (n: number) =>
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) =>
    keys
      .map((k, i) => [k, i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, i]) => i),
  );

/** A random subset of the axes of a rank-`n` tensor (possibly empty). */
const axesArb = (n: number) =>
  fc
    .array(fc.boolean(), { minLength: n, maxLength: n })
    .map((bs) => bs.flatMap((b, i) => (b ? [i] : [])));

/** What one case of `movedProperty` moves: an input of `shape`, through `move`. */
interface Moved {
  readonly shape: readonly number[];
  readonly move: (x: Tensor) => Tensor;
  readonly what?: string;
}

/** The gradient property of `sin(move(x))` for one random input `x` of each case. */
const movedProperty = <T>(arb: fc.Arbitrary<T>, build: (c: T) => Moved, numRuns = RUNS) =>
  vjpProperty(
    arb,
    (c, next) => {
      const { shape, move, what } = build(c);
      return { f: ([x]) => sin(move(x!)), xs: [randomTensor(shape, next)], what };
    },
    numRuns,
  );

describe("gradients of movement primitives", () => {
  it("reshape", () =>
    movedProperty(fc.tuple(shapeArb(1, 3, 4), fc.boolean()), ([shape, flat]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const target = flat ? [n] : [...shape].reverse();
      return { shape, move: (x) => reshape(mul(x, 1.5), target), what: "reshape" };
    }));

  it("squeeze, expandDims and flatten", () =>
    movedProperty(shapeArb(2, 4, 3), (shape) => ({
      shape,
      move: (x) => flatten(squeeze(expandDims(x, 1), 1), 1),
    })));

  it("transpose", () =>
    movedProperty(
      shapeArb(1, 4, 3).chain((shape) => fc.tuple(fc.constant(shape), permArb(shape.length))),
      ([shape, perm]) => ({ shape, move: (x) => transpose(x, perm), what: `perm ${perm}` }),
    ));

  it("broadcastTo (new leading axes and stretched 1s)", () =>
    movedProperty(
      fc.record({
        shape: shapeArb(0, 3, 3),
        lead: shapeArb(0, 2, 3),
        ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      }),
      ({ shape, lead, ones }) => ({
        shape: shape.map((d, i) => (ones[i] ? 1 : d)),
        move: (x) => broadcastTo(x, [...lead, ...shape]),
      }),
    ));

  it("slice with begins, ends and steps", () => {
    const arb = shapeArb(1, 3, 6).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.tuple(
          ...shape.map((d) =>
            intsArb({ b: [0, d - 1], len: [1, d], s: [1, 3] }).map(({ b, len, s }) => ({
              b,
              e: Math.min(d, b + len),
              s,
            })),
          ),
        ),
      ),
    );
    return movedProperty(arb, ([shape, axes]) => {
      const begin = axes.map((a) => a.b);
      const end = axes.map((a) => a.e);
      const step = axes.map((a) => a.s);
      const what = `slice ${shape} [${begin}]:[${end}]:[${step}]`;
      return { shape, move: (x) => slice(x, begin, end, step), what };
    });
  });

  it("slice twice (the transpose of a strided slice is itself differentiated)", () =>
    movedProperty(
      fc.integer({ min: 4, max: 9 }),
      (n) => ({ shape: [n, 2], move: (x) => slice(slice(x, [1], [n], [2]), [0], [null], [2]) }),
      6,
    ));

  it("pad with a fill value", () =>
    movedProperty(
      shapeArb(1, 3, 4).chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
            minLength: shape.length,
            maxLength: shape.length,
          }),
          fc.double({ min: -2, max: 2, noNaN: true }),
        ),
      ),
      ([shape, pads, value]) => ({ shape, move: (x) => pad(x, pads, value), what: `pad ${pads}` }),
    ));

  it("concat of two or three inputs along a random axis", () => {
    const arb = shapeArb(1, 3, 3).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.integer({ min: 0, max: shape.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }),
      ),
    );
    return vjpProperty(
      arb,
      ([shape, axis, sizes], next) => ({
        f: (ins) => sin(concat(ins, axis)),
        xs: sizes.map((d) =>
          randomTensor(
            shape.map((s, i) => (i === axis ? d : s)),
            next,
          ),
        ),
        what: `concat axis ${axis}`,
      }),
      RUNS,
    );
  });

  it("concat of one input used twice", () =>
    movedProperty(
      shapeArb(1, 3, 3),
      (shape) => ({ shape, move: (x) => concat([x, mul(x, 2)], -1) }),
      6,
    ));

  it("flip", () =>
    movedProperty(
      shapeArb(1, 3, 4).chain((shape) => fc.tuple(fc.constant(shape), axesArb(shape.length))),
      ([shape, axes]) => ({ shape, move: (x) => flip(x, axes), what: `flip ${axes}` }),
    ));
});

describe("gradients of reductions", () => {
  const reductionArb = shapeArb(1, 3, 4).chain((shape) =>
    fc.tuple(fc.constant(shape), axesArb(shape.length), fc.boolean(), fc.boolean()),
  );
  const cases: readonly [string, typeof sum, boolean][] = [
    ["sum", sum, false],
    ["mean", mean, false],
    // Distinct values: at a tie the max is not differentiable and the check means nothing.
    ["max", max, true],
    ["min", min, true],
  ];
  it.each(cases)("%s over random axes, keepdims or not", (what, reduce, distinct) =>
    vjpProperty(
      reductionArb,
      ([shape, axes, all, keepdims], next) => ({
        f: ([v]) => sin(reduce(v!, all ? undefined : axes, keepdims)),
        xs: [distinct ? distinctTensor(shape, next, -2, 2) : randomTensor(shape, next)],
        what: `${what} ${shape} axes ${axes} ${keepdims}`,
      }),
      RUNS,
    ),
  );
});
