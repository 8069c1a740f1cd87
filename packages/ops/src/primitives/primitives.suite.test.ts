import { describe, expect, it } from "vitest";
import type { Backend, DType, HostTensor } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "../index";
import {
  abs,
  add,
  argmax,
  bitwiseAnd,
  bitwiseOr,
  bitwiseXor,
  broadcastTo,
  cast,
  concat,
  constant,
  cos,
  div,
  eq,
  exp,
  expandDims,
  flip,
  floor,
  ge,
  gt,
  iota,
  log,
  logSumExp,
  lt,
  max,
  maximum,
  mean,
  min,
  minimum,
  mod,
  mul,
  ne,
  neg,
  pad,
  pow,
  reciprocal,
  reshape,
  select,
  shiftLeft,
  shiftRightLogical,
  sign,
  sin,
  slice,
  softmax,
  sqrt,
  squeeze,
  sub,
  sum,
  tanh,
  transpose,
} from "@loom/ops";
import type { Feeds, Tolerance } from "@loom/testing";
import {
  ALL_BACKENDS,
  compareWithReference,
  describeBackends,
  randomFloat32,
  rng,
} from "@loom/testing";

// Every non-library primitive through `compile` on every backend and on the unoptimised
// reference interpreter, same feeds, on several shapes (one of them spanning several WebGL
// texture rows) and with broadcasting. Movement ops, integer and bool ops are compared bit for
// bit; float arithmetic too, except transcendentals (4e-7, a few ulps) and sums (the GPU
// accumulates in float32, the CPU in float64: 1e-5 of the largest result).

const EXACT: Tolerance = { rtol: 0 };
const ULPS: Tolerance = { rtol: 4e-7, scale: 0 };
const SUMS: Tolerance = { rtol: 1e-5 };

type Fn = (t: Record<string, Tensor>) => Record<string, Tensor>;

/** Runs `fn` on `backend` and on the reference; the first output beyond its tolerance. */
const compareOn = async (
  backend: Backend,
  fn: Fn,
  specs: Record<string, TensorSpec>,
  feeds: Feeds,
  tol: Record<string, Tolerance> | Tolerance = EXACT,
) =>
  compareWithReference(backend, fn as never, specs as Tree<TensorSpec>, feeds, (name) =>
    "rtol" in tol ? (tol as Tolerance) : ((tol as Record<string, Tolerance>)[name] ?? EXACT),
  );

const ints = (shape: readonly number[], seed: number, lim = 1000): HostTensor => {
  const r = rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return {
    data: Int32Array.from({ length: n }, (_, i) =>
      i % 7 === 3 ? [2147483647, -2147483648, 0, -1][i % 4]! : Math.floor((r() * 2 - 1) * lim),
    ),
    shape,
    dtype: "int32",
  };
};

const specOf = (shape: readonly number[], dtype: DType = "float32"): TensorSpec => ({
  shape: [...shape],
  dtype,
});

describeBackends(ALL_BACKENDS, (on) => {
  const check = (
    fn: Fn,
    specs: Record<string, TensorSpec>,
    feeds: Feeds,
    tol: Record<string, Tolerance> | Tolerance = EXACT,
  ) => compareOn(on.backend(), fn, specs, feeds, tol);

  const SHAPES: readonly (readonly number[])[] = [[7], [3, 4], [2, 3, 5], [2, 1, 3, 4], [70, 80]];

  describe.each(SHAPES)("unary float ops on [%s]", (...shape) => {
    it("agree with the reference", async () => {
      const r = await check(
        ({ x }) => ({
          neg: neg(x!),
          abs: abs(x!),
          sign: sign(x!),
          floor: floor(mul(x!, 4)),
          exp: exp(mul(x!, 5)),
          log: log(add(abs(x!), 0.01)),
          sqrt: sqrt(abs(x!)),
          recip: reciprocal(add(x!, 1.5)),
          sin: sin(mul(x!, 6)),
          cos: cos(mul(x!, 6)),
          tanh: tanh(mul(x!, 3)),
          pow: pow(add(abs(x!), 0.5), 1.7),
        }),
        { x: specOf(shape) },
        { x: randomFloat32(shape, 11) },
        {
          exp: ULPS,
          log: ULPS,
          sin: { rtol: 4e-7, scale: 1 },
          cos: { rtol: 4e-7, scale: 1 },
          tanh: ULPS,
          pow: { rtol: 4e-6, scale: 0 },
        },
      );
      expect(r).toBeUndefined();
    });
  });

  const PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
    [
      [3, 4],
      [3, 4],
    ],
    [
      [3, 1],
      [1, 4],
    ],
    [[2, 3, 4], [4]],
    [
      [5, 1, 3],
      [1, 4, 1],
    ],
    [[], [3, 2]],
    [[64, 70], [70]],
  ];

  /** The int32 binary ops, each applied to the same two operands. */
  const INT_BINARY: Readonly<Record<string, (x: Tensor, y: Tensor) => Tensor>> = {
    add,
    sub,
    mul,
    div,
    mod,
    maximum,
    minimum,
    and: bitwiseAnd,
    or: bitwiseOr,
    xor: bitwiseXor,
    shl: shiftLeft,
    shr: shiftRightLogical,
    lt,
  };

  describe.each(PAIRS)("binary ops on %j x %j (broadcast)", (sa, sb) => {
    it("float32", async () => {
      const r = await check(
        ({ a, b }) => ({
          add: add(a!, b!),
          sub: sub(a!, b!),
          mul: mul(a!, b!),
          div: div(a!, add(abs(b!), 0.25)),
          maximum: maximum(a!, b!),
          minimum: minimum(a!, b!),
          mod: mod(mul(a!, 10), add(b!, 1.5)),
          pow: pow(add(abs(a!), 0.1), b!),
          eq: eq(floor(mul(a!, 2)), floor(mul(b!, 2))),
          ne: ne(floor(mul(a!, 2)), floor(mul(b!, 2))),
          lt: lt(a!, b!),
          ge: ge(a!, b!),
          select: select(gt(a!, b!), a!, mul(b!, 3)),
        }),
        { a: specOf(sa), b: specOf(sb) },
        { a: randomFloat32(sa, 1), b: randomFloat32(sb, 2) },
        { pow: { rtol: 4e-6, scale: 0 } },
      );
      expect(r).toBeUndefined();
    });

    it("int32", async () => {
      const r = await check(
        ({ a, b }) => ({
          ...Object.fromEntries(Object.entries(INT_BINARY).map(([k, f]) => [k, f(a!, b!)])),
          toFloat: cast(a!, "float32"),
          bool: bitwiseXor(gt(a!, b!), eq(mod(a!, 3), 0)),
        }),
        { a: specOf(sa, "int32"), b: specOf(sb, "int32") },
        { a: ints(sa, 3), b: ints(sb, 4, 40) },
      );
      expect(r).toBeUndefined();
    });
  });

  describe("movement ops are exact gathers", () => {
    const x = randomFloat32([2, 3, 4, 5], 5);
    it.each([
      ["reshape", (t: Tensor) => reshape(t, [6, 20])],
      ["transpose", (t: Tensor) => transpose(t, [3, 1, 0, 2])],
      ["broadcast", (t: Tensor) => broadcastTo(reshape(t, [2, 3, 1, 4, 5]), [2, 3, 3, 4, 5])],
      ["slice", (t: Tensor) => slice(t, [1, -2, 0, 1], [2, 3, 4, 5], [1, 1, 2, 3])],
      [
        "pad",
        (t: Tensor) =>
          pad(
            t,
            [
              [0, 1],
              [2, 0],
              [1, 1],
              [0, 3],
            ],
            -1.5,
          ),
      ],
      ["concat", (t: Tensor) => concat([t, mul(t, 2), slice(t, [0, 0, 0, 0], [2, 3, 4, 2])], 3)],
      ["flip", (t: Tensor) => flip(t, [0, 2, 3])],
      ["expand/squeeze", (t: Tensor) => squeeze(expandDims(transpose(t), 1), 1)],
      ["chain", (t: Tensor) => flip(pad(transpose(slice(t, [0, 1]), [1, 0, 3, 2]), 1), 1)],
    ] as const)("%s", async (_, f) => {
      expect(
        await check(({ x: t }) => ({ y: f(t!) }), { x: specOf(x.shape) }, { x }),
      ).toBeUndefined();
    });

    it("moves int32 and bool values too", async () => {
      const r = await check(
        ({ i }) => ({
          ints: concat(
            [
              flip(i!, 1),
              transpose(
                pad(
                  i!,
                  [
                    [0, 0],
                    [1, 1],
                  ],
                  7,
                ),
                [1, 0],
              ),
            ],
            0,
          ),
          bools: pad(gt(transpose(i!), 0), [
            [1, 0],
            [0, 2],
          ]),
        }),
        { i: specOf([4, 4], "int32") },
        { i: ints([4, 4], 9) },
      );
      expect(r).toBeUndefined();
    });

    it("iota and constants", async () => {
      const r = await check(
        ({ x: t }) => ({
          iota: add(iota([3, 4], 1), iota([3, 4], 0)),
          fiota: mul(iota([3, 4], 1, "float32"), t!),
          c: add(constant(new Float32Array([0.1, -2, 3.5, 1e-3]), [4]), t!),
        }),
        { x: specOf([3, 4]) },
        { x: randomFloat32([3, 4], 8) },
      );
      expect(r).toBeUndefined();
    });
  });

  describe("reductions", () => {
    const x = randomFloat32([4, 5, 6, 3], 6);
    it("sum, max, min, mean and composites over various axes", async () => {
      const r = await check(
        ({ x: t }) => ({
          sumAll: sum(t!),
          sum0: sum(t!, [0]),
          sum13: sum(t!, [1, 3], true),
          maxAll: max(t!),
          max2: max(t!, [2]),
          min03: min(t!, [0, 3]),
          mean1: mean(t!, [1]),
          argmax: argmax(t!, 2),
          lse: logSumExp(t!, [3]),
          softmax: softmax(t!, 1),
        }),
        { x: specOf(x.shape) },
        { x },
        { sumAll: SUMS, sum0: SUMS, sum13: SUMS, mean1: SUMS, lse: SUMS, softmax: SUMS },
      );
      expect(r).toBeUndefined();
    });

    it("int32 sums wrap and int32 max is exact", async () => {
      const i = ints([6, 50], 12, 1e9);
      const r = await check(
        ({ i: t }) => ({ sum: sum(t!, [1]), max: max(t!, [0]), all: sum(t!) }),
        { i: specOf([6, 50], "int32") },
        { i },
      );
      expect(r).toBeUndefined();
    });

    it("NaN wins a max; a long sum stays within tolerance", async () => {
      const data = randomFloat32([3, 5000], 13, 4);
      (data.data as Float32Array)[7] = NaN;
      const r = await check(
        ({ x: t }) => ({ max: max(t!, [1]), sum: sum(t!, [1]), sum0: sum(t!, [0]) }),
        { x: specOf([3, 5000]) },
        { x: data },
        { sum: { rtol: 1e-5 }, sum0: SUMS },
      );
      expect(r).toBeUndefined();
    });
  });
});
