import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import type { Tensor } from "../index";
import {
  abs,
  add,
  cast,
  compile,
  constant,
  cos,
  div,
  exp,
  floor,
  grad,
  hostTensor,
  log,
  max,
  maxPool2d,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  prim,
  reciprocal,
  relu,
  select,
  sign,
  sin,
  sqrt,
  sub,
  sum,
  tanh,
} from "../index";
import { referenceBackend } from "@loom/backend-cpu";
import { broadcastPairArb, randomTensor, shapeArb, vjpProperty } from "@loom/testing";

// Gradient checks of the elementwise primitives through the public API of @loom/ops, in float64:
// `<t, vjp(c)>` against a central difference of `<c, f(x)>` on random shapes and values.

const RUNS = 12;

/** Values of magnitude in `[lo, hi)` with a random sign: away from the kink or pole at 0. */
const signedTensor = (shape: readonly number[], next: () => number, lo = 0.2, hi = 2) => {
  const t = randomTensor(shape, next, lo, hi);
  return hostTensor(
    Array.from(t.data, (v) => (next() < 0.5 ? -v : v)),
    shape,
    "float64",
  );
};

/** Values `k + u` with integer k and `u` in [0.1, 0.9]: away from floor's jumps. */
const offIntegers = (shape: readonly number[], next: () => number): HostTensor => {
  const t = randomTensor(shape, next, -3, 3);
  return hostTensor(
    Array.from(t.data, (v) => Math.floor(v) + 0.1 + 0.8 * next()),
    shape,
    "float64",
  );
};

type Gen = (shape: readonly number[], next: () => number) => HostTensor;
const uniformIn =
  (lo: number, hi: number): Gen =>
  (shape, next) =>
    randomTensor(shape, next, lo, hi);

describe("gradients of unary elementwise primitives", () => {
  const cases: readonly [string, (x: Tensor) => Tensor, Gen][] = [
    ["neg", neg, uniformIn(-2, 2)],
    ["abs", abs, signedTensor],
    ["exp", exp, uniformIn(-2, 2)],
    ["log", log, uniformIn(0.2, 3)],
    ["sqrt", sqrt, uniformIn(0.2, 3)],
    ["reciprocal", reciprocal, signedTensor],
    ["sin", sin, uniformIn(-3, 3)],
    ["cos", cos, uniformIn(-3, 3)],
    ["tanh", tanh, uniformIn(-2, 2)],
    // Piecewise constant: the rule gives zeros, and so does the difference away from the jumps.
    ["sign", sign, signedTensor],
    ["floor", floor, offIntegers],
    // The public cast of float64 to float64 is the identity; the primitive itself too.
    ["cast f64->f64 (public)", (x) => cast(x, "float64"), uniformIn(-2, 2)],
    ["cast f64->f64 (primitive)", (x) => prim("cast", [x], { dtype: "float64" }), uniformIn(-2, 2)],
  ];
  it.each(cases)("%s", (what, f, gen) =>
    vjpProperty(
      shapeArb(0, 3, 4),
      (shape, next) => ({ f: ([x]) => f(x!), xs: [gen(shape, next)], what }),
      RUNS,
    ),
  );

  it("cast through float32 and back passes the cotangent through (loose: float32 rounding)", async () => {
    // The cast is linear up to rounding, so a large step has no truncation error and keeps the
    // float32 rounding (~6e-8 relative) small against it.
    await vjpProperty(
      shapeArb(1, 3, 4),
      (shape, next) => ({
        f: ([x]) => mul(cast(cast(x!, "float32"), "float64"), 3),
        xs: [randomTensor(shape, next, -2, 2)],
        eps: 1e-2,
        tol: 1e-4,
      }),
      6,
    );
  });
});

/** Two shapes that broadcast together; which one is the larger is drawn too. */
const broadcastPair = broadcastPairArb(shapeArb(0, 3, 4), 3);

describe("gradients of binary elementwise primitives, with broadcasting", () => {
  const cases: readonly [string, (a: Tensor, b: Tensor) => Tensor, Gen, Gen][] = [
    ["add", add, uniformIn(-2, 2), uniformIn(-2, 2)],
    ["sub", sub, uniformIn(-2, 2), uniformIn(-2, 2)],
    ["mul", mul, uniformIn(-2, 2), uniformIn(-2, 2)],
    ["div", div, uniformIn(-2, 2), signedTensor],
    ["maximum", maximum, uniformIn(-2, 2), uniformIn(-2, 2)],
    ["minimum", minimum, uniformIn(-2, 2), uniformIn(-2, 2)],
    ["pow (positive base)", pow, uniformIn(0.3, 2.5), uniformIn(-2, 2)],
    // An operand used twice: cotangents from both uses must add up.
    ["a * a + b (fan-out)", (a, b) => add(mul(a, a), b), uniformIn(-2, 2), uniformIn(-2, 2)],
  ];
  it.each(cases)("%s", (what, f, genA, genB) =>
    vjpProperty(
      broadcastPair,
      ([sa, sb], next) => ({
        f: ([a, b]) => f(a!, b!),
        xs: [genA(sa, next), genB(sb, next)],
        what,
      }),
      RUNS,
    ),
  );

  /** A property of `f` on one positive float64 input, away from the poles of its powers. */
  const onPositive = (f: (x: Tensor) => Tensor) =>
    vjpProperty(
      shapeArb(0, 3, 4),
      (shape, next) => ({ f: ([x]) => f(x!), xs: [randomTensor(shape, next, 0.2, 2)] }),
      RUNS,
    );

  it("numbers as operands adopt the tensor's float64 dtype", () =>
    onPositive((x) => add(mul(pow(x, 3), 0.5), sub(2, div(1.5, add(mul(x, x), 1))))));

  it("pow with a number exponent and a number base", () =>
    onPositive((x) => add(pow(x, 2.5), pow(1.7, x))));
});

describe("gradient of select", () => {
  it("routes the cotangent by a fixed mask, with broadcasting", () =>
    vjpProperty(
      broadcastPair,
      ([sa, sb], next) => {
        const a = randomTensor(sa, next, -2, 2);
        const b = randomTensor(sb, next, -2, 2);
        // The mask has the broadcast shape, so select stretches the smaller operand.
        const rank = Math.max(sa.length, sb.length);
        const dim = (s: readonly number[], i: number) => s[i - rank + s.length] ?? 1;
        const big = Array.from({ length: rank }, (_, i) => Math.max(dim(sa, i), dim(sb, i)));
        const n = big.reduce((p, d) => p * d, 1);
        const mask = Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0));
        const f = ([x, y]: Tensor[]) =>
          mul(select(constant(mask, big, "bool"), x!, y!), add(x!, 2));
        return { f, xs: [a, b], what: "select" };
      },
      RUNS,
    ));
});

describe("gradients at kinks and ties (hand-computed conventions, not finite differences)", () => {
  const gradAt = async (f: (x: Tensor) => Tensor, values: number[], shape = [values.length]) => {
    const exe = compile(referenceBackend(), ({ x }) => grad((v: Tensor) => sum(f(v)))(x), {
      x: { shape, dtype: "float64" as const },
    });
    return Array.from(
      ((await exe.run({ x: hostTensor(values, shape, "float64") })) as HostTensor).data,
    );
  };

  it("abs, relu and sign have gradient 0 at 0 (as PyTorch and JAX)", async () => {
    expect(await gradAt(abs, [-2, 0, 3])).toEqual([-1, 0, 1]);
    expect(await gradAt(relu, [-2, 0, 3])).toEqual([0, 0, 1]);
    expect(await gradAt(sign, [-2, 0, 3])).toEqual([0, 0, 0]);
  });

  it("maximum and minimum of equal operands give the whole gradient to the second", async () => {
    // maximum(x, x): a tie everywhere, so the total gradient stays 1 (nothing doubled or lost).
    expect(await gradAt((x) => maximum(x, x), [1, -1])).toEqual([1, 1]);
    expect(await gradAt((x) => maximum(x, mul(x, 2)), [1, -1])).toEqual([2, 1]);
    expect(await gradAt((x) => minimum(x, mul(x, 2)), [1, -1])).toEqual([1, 2]);
  });

  it("a max reduction splits the gradient equally among tied maxima (as JAX)", async () => {
    expect(await gradAt((x) => max(x, 1), [1, 3, 3, 2, 0, 2], [2, 3])).toEqual([
      0, 0.5, 0.5, 0.5, 0, 0.5,
    ]);
  });

  it("max pooling gives a window's gradient to its first maximal element", async () => {
    // Rows [5 5 1 7] and [2 3 7 0]: the left window ties 5 and 5, the right one 7 and 7.
    const g = await gradAt(
      (x) => maxPool2d(x, { kernel: 2 }),
      [5, 5, 1, 7, 2, 3, 7, 0],
      [1, 1, 2, 4],
    );
    expect(g).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
  });
});
