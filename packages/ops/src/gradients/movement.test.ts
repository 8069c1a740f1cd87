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
import { assertVjp, distinctTensor, randomTensor, rng, seedArb, shapeArb } from "@loom/testing";

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

describe("gradients of movement primitives", () => {
  it("reshape", async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3, 4), fc.boolean(), seedArb, async (shape, flat, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const target = flat ? [n] : [...shape].reverse();
        const f = ([x]: Tensor[]) => sin(reshape(mul(x!, 1.5), target));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed, what: "reshape" });
      }),
      { numRuns: RUNS },
    );
  });

  it("squeeze, expandDims and flatten", async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(2, 4, 3), seedArb, async (shape, seed) => {
        const f = ([x]: Tensor[]) => sin(flatten(squeeze(expandDims(x!, 1), 1), 1));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("transpose", async () => {
    const arb = shapeArb(1, 4, 3).chain((shape) =>
      fc.tuple(fc.constant(shape), permArb(shape.length)),
    );
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, perm], seed) => {
        const f = ([x]: Tensor[]) => sin(transpose(x!, perm));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed, what: `perm ${perm}` });
      }),
      { numRuns: RUNS },
    );
  });

  it("broadcastTo (new leading axes and stretched 1s)", async () => {
    const arb = fc.record({
      shape: shapeArb(0, 3, 3),
      lead: shapeArb(0, 2, 3),
      ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ({ shape, lead, ones }, seed) => {
        const from = shape.map((d, i) => (ones[i] ? 1 : d));
        const f = ([x]: Tensor[]) => sin(broadcastTo(x!, [...lead, ...shape]));
        await assertVjp(f, [randomTensor(from, rng(seed))], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("slice with begins, ends and steps", async () => {
    const arb = shapeArb(1, 3, 6).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.tuple(
          ...shape.map((d) =>
            fc
              .record({
                b: fc.integer({ min: 0, max: d - 1 }),
                len: fc.integer({ min: 1, max: d }),
                s: fc.integer({ min: 1, max: 3 }),
              })
              .map(({ b, len, s }) => ({ b, e: Math.min(d, b + len), s })),
          ),
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, axes], seed) => {
        const begin = axes.map((a) => a.b);
        const end = axes.map((a) => a.e);
        const step = axes.map((a) => a.s);
        const f = ([x]: Tensor[]) => sin(slice(x!, begin, end, step));
        const what = `slice ${shape} [${begin}]:[${end}]:[${step}]`;
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed, what });
      }),
      { numRuns: RUNS },
    );
  });

  it("slice twice (the transpose of a strided slice is itself differentiated)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 4, max: 9 }), seedArb, async (n, seed) => {
        const f = ([x]: Tensor[]) => sin(slice(slice(x!, [1], [n], [2]), [0], [null], [2]));
        await assertVjp(f, [randomTensor([n, 2], rng(seed))], { seed });
      }),
      { numRuns: 6 },
    );
  });

  it("pad with a fill value", async () => {
    const arb = shapeArb(1, 3, 4).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
          minLength: shape.length,
          maxLength: shape.length,
        }),
        fc.double({ min: -2, max: 2, noNaN: true }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, pads, value], seed) => {
        const f = ([x]: Tensor[]) => sin(pad(x!, pads, value));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed, what: `pad ${pads}` });
      }),
      { numRuns: RUNS },
    );
  });

  it("concat of two or three inputs along a random axis", async () => {
    const arb = shapeArb(1, 3, 3).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.integer({ min: 0, max: shape.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, axis, sizes], seed) => {
        const next = rng(seed);
        const xs = sizes.map((d) =>
          randomTensor(
            shape.map((s, i) => (i === axis ? d : s)),
            next,
          ),
        );
        const f = (ins: Tensor[]) => sin(concat(ins, axis));
        await assertVjp(f, xs, { seed, what: `concat axis ${axis}` });
      }),
      { numRuns: RUNS },
    );
  });

  it("concat of one input used twice", async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3, 3), seedArb, async (shape, seed) => {
        const f = ([x]: Tensor[]) => sin(concat([x!, mul(x!, 2)], -1));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed });
      }),
      { numRuns: 6 },
    );
  });

  it("flip", async () => {
    const arb = shapeArb(1, 3, 4).chain((shape) =>
      fc.tuple(fc.constant(shape), axesArb(shape.length)),
    );
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, axes], seed) => {
        const f = ([x]: Tensor[]) => sin(flip(x!, axes));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed, what: `flip ${axes}` });
      }),
      { numRuns: RUNS },
    );
  });
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
  it.each(cases)("%s over random axes, keepdims or not", async (what, reduce, distinct) => {
    await fc.assert(
      fc.asyncProperty(reductionArb, seedArb, async ([shape, axes, all, keepdims], seed) => {
        const next = rng(seed);
        const x = distinct ? distinctTensor(shape, next, -2, 2) : randomTensor(shape, next);
        const f = ([v]: Tensor[]) => sin(reduce(v!, all ? undefined : axes, keepdims));
        await assertVjp(f, [x], { seed, what: `${what} ${shape} axes ${axes} ${keepdims}` });
      }),
      { numRuns: RUNS },
    );
  });
});
