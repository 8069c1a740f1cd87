import { describe, expect, it } from "vitest";
import type { Backend, DType, HostTensor } from "@loom/graph";
import type { Tensor, TensorLike, TensorSpec, Tree } from "../index";
import {
  abs,
  add,
  bitwiseAnd,
  bitwiseNot,
  bitwiseOr,
  bitwiseXor,
  cast,
  compile,
  cos,
  div,
  eq,
  exp,
  floor,
  ge,
  gt,
  hostTensor,
  iota,
  le,
  log,
  lt,
  maximum,
  minimum,
  mod,
  mul,
  ne,
  neg,
  pow,
  prim,
  reciprocal,
  select,
  shiftLeft,
  shiftRightLogical,
  sign,
  sin,
  sqrt,
  sub,
  tanh,
} from "../index";
import { ALU_JS } from "@loom/graph";
import { describeBackends, FLOAT64_BACKENDS } from "@loom/testing";
import { threefry2x32 } from "@loom/graph";

// ---------- helpers (independent of loom: plain JS over flat row-major arrays) ----------

/** A fed argument: values, shape and dtype. */
interface Arg {
  readonly values: readonly number[];
  readonly shape: readonly number[];
  readonly dtype: DType;
}

const arg = (
  values: readonly number[],
  shape: readonly number[],
  dtype: DType = "float32",
): Arg => ({
  values: dtype === "float32" ? values.map(Math.fround) : values,
  shape,
  dtype,
});

/** Runs `fn` on the args (as graph inputs) with the reference backend; returns its one output. */
const runOf =
  (backend: () => Backend) =>
  async (fn: (...xs: Tensor[]) => Tensor, ...args: Arg[]): Promise<HostTensor> => {
    const specs: TensorSpec[] = args.map((a) => ({ shape: a.shape, dtype: a.dtype }));
    const f = compile(backend(), (xs: Tree<Tensor>) => ({ y: fn(...(xs as Tensor[])) }), specs);
    const out = (await f.run(args.map((a) => hostTensor(a.values, a.shape, a.dtype)))) as {
      y: HostTensor;
    };
    return out.y;
  };

const numel = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** NumPy's broadcast of two shapes, written out independently of loom's. */
const npShape = (a: readonly number[], b: readonly number[]): number[] => {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`bad test shapes ${a} ${b}`);
    return da === 1 ? db : da;
  });
};

/** The values of `x` stretched to `shape` (right-aligned, size-1 dims repeat). */
const expand = (x: Arg, shape: readonly number[]): number[] => {
  const lead = shape.length - x.shape.length;
  return Array.from({ length: numel(shape) }, (_, flat) => {
    let rest = flat;
    let src = 0;
    let stride = 1;
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      const i = rest % shape[ax]!;
      rest = Math.floor(rest / shape[ax]!);
      if (ax >= lead) {
        const d = x.shape[ax - lead]!;
        src += (d === 1 ? 0 : i) * stride;
        stride *= d;
      }
    }
    return x.values[src]!;
  });
};

/** A deterministic generator of values in `[lo, hi)`. */
const values = (n: number, seed: number, lo = -3, hi = 3): number[] => {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 4294967296;
  });
};

const randomArg = (shape: readonly number[], seed: number, dtype: DType, lo = -3, hi = 3) =>
  arg(values(numel(shape), seed, lo, hi), shape, dtype);

/** Asserts elementwise closeness with a relative tolerance; NaN must meet NaN, infinities equal. */
const expectClose = (actual: ArrayLike<number>, expected: readonly number[], rtol: number) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      expect(a, `element ${i}`).toBe(e);
    } else if (Math.abs(a - e) > rtol * Math.abs(e) + 1e-300) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (rtol ${rtol})`);
    }
  });
};

const RTOL: Readonly<Record<"float32" | "float64", number>> = { float32: 1e-6, float64: 1e-13 };

// ---------- float ops ----------

const UNARY: readonly [string, (x: Tensor) => Tensor, (x: number) => number, number, number][] = [
  ["neg", neg, (x) => -x, -3, 3],
  ["abs", abs, Math.abs, -3, 3],
  ["sign", sign, Math.sign, -3, 3],
  ["exp", exp, Math.exp, -5, 5],
  ["log", log, Math.log, 0.01, 10],
  ["sqrt", sqrt, Math.sqrt, 0, 10],
  ["recip", reciprocal, (x) => 1 / x, 0.1, 4],
  ["sin", sin, Math.sin, -7, 7],
  ["cos", cos, Math.cos, -7, 7],
  ["tanh", tanh, Math.tanh, -4, 4],
  ["floor", floor, Math.floor, -5, 5],
];

const BINARY: readonly [
  string,
  (a: TensorLike, b: TensorLike) => Tensor,
  (a: number, b: number) => number,
  number,
  number,
][] = [
  ["add", add, (a, b) => a + b, -3, 3],
  ["sub", sub, (a, b) => a - b, -3, 3],
  ["mul", mul, (a, b) => a * b, -3, 3],
  ["div", div, (a, b) => a / b, 0.5, 3],
  ["maximum", maximum, Math.max, -3, 3],
  ["minimum", minimum, Math.min, -3, 3],
  ["pow", pow, Math.pow, 0.1, 3],
  ["mod", mod, (a, b) => a % b, 0.5, 5],
];

const SHAPE_PAIRS: readonly [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1],
    [1, 3],
  ],
  [
    [4, 1, 3],
    [2, 1],
  ],
  [[], [2, 2]],
  [[1], [5]],
];

describeBackends(FLOAT64_BACKENDS, (on) => {
  const run = runOf(on.backend);
  describe.each(["float32", "float64"] as const)("unary float ops in %s", (dtype) => {
    it.each(UNARY)("%s matches Math", async (_name, op, ref, lo, hi) => {
      for (const shape of [[], [5], [2, 3, 4]]) {
        const x = randomArg(shape, 7 + shape.length, dtype, lo, hi);
        const y = await run(op, x);
        expect(y.dtype).toBe(dtype);
        expect(y.shape).toEqual(shape);
        expectClose(y.data, x.values.map(ref), RTOL[dtype]);
      }
    });

    it("follows IEEE at the edges of the domains", async () => {
      const x = arg([0, -1, Infinity, -0], [4], dtype);
      expectClose((await run(log, x)).data, [-Infinity, NaN, Infinity, -Infinity], 0);
      expectClose((await run(sqrt, x)).data, [0, NaN, Infinity, 0], 0);
      expectClose((await run(reciprocal, x)).data, [Infinity, -1, 0, -Infinity], 0);
      expectClose((await run(sign, arg([NaN, -0.5, 0, 2], [4], dtype))).data, [NaN, -1, 0, 1], 0);
      expectClose(
        (await run(floor, arg([-0.5, 0.5, -2, 2.999], [4], dtype))).data,
        [-1, 0, -2, 2],
        0,
      );
    });
  });

  describe.each(["float32", "float64"] as const)("binary float ops in %s", (dtype) => {
    it.each(BINARY)("%s broadcasts and matches plain JS", async (_name, op, ref, lo, hi) => {
      for (const [sa, sb] of SHAPE_PAIRS) {
        const a = randomArg(sa, 11 + sa.length, dtype, lo, hi);
        const b = randomArg(sb, 23 + sb.length, dtype, lo, hi);
        const shape = npShape(sa, sb);
        const y = await run(op, a, b);
        expect(y.shape).toEqual(shape);
        expect(y.dtype).toBe(dtype);
        const ea = expand(a, shape);
        const eb = expand(b, shape);
        expectClose(
          y.data,
          ea.map((v, i) => ref(v, eb[i]!)),
          RTOL[dtype],
        );
      }
    });

    it("takes plain numbers as scalars of the tensor's dtype", async () => {
      const x = arg([1.5, -2, 4], [3], dtype);
      const y = await run((t) => sub(2, mul(t, 0.5)), x);
      expect(y.dtype).toBe(dtype);
      expectClose(y.data, [1.25, 3, 0], 0);
    });

    it("handles signs, NaN and ties as specified", async () => {
      // mod takes the dividend's sign (C's fmod); pow of a negative base needs an integer exponent.
      const a = arg([5.5, -5.5, 5.5, -5.5], [4], dtype);
      const b = arg([2, 2, -2, -2], [4], dtype);
      expectClose((await run(mod, a, b)).data, [1.5, -1.5, 1.5, -1.5], 0);
      const base = arg([-2, -2, 0, 0], [4], dtype);
      const e = arg([3, 0.5, 0, -1], [4], dtype);
      expectClose((await run(pow, base, e)).data, [-8, NaN, 1, Infinity], 0);
      const n = arg([NaN, 1, 2, -0], [4], dtype);
      const m = arg([1, NaN, 2, 0], [4], dtype);
      expectClose((await run(maximum, n, m)).data, [NaN, NaN, 2, 0], 0);
      expectClose((await run(minimum, n, m)).data, [NaN, NaN, 2, 0], 0);
    });
  });

  // ---------- int32 ----------

  describe("int32 arithmetic", () => {
    const i32 = (v: readonly number[]) => arg(v, [v.length], "int32");
    const MAX = 2 ** 31 - 1;
    const MIN = -(2 ** 31);

    it("wraps add, sub, mul and neg at 2^31", async () => {
      const a = i32([MAX, MIN, 65536, MAX, 7, MIN]);
      const b = i32([1, 1, 65536, 2, -3, -1]);
      expect(Array.from((await run(add, a, b)).data)).toEqual([
        MIN,
        MIN + 1,
        131072,
        MIN + 1,
        4,
        MAX,
      ]);
      expect(Array.from((await run(sub, a, b)).data)).toEqual([
        MAX - 1,
        MAX,
        0,
        MAX - 2,
        10,
        MIN + 1,
      ]);
      expect(Array.from((await run(mul, a, b)).data)).toEqual([MAX, MIN, 0, -2, -21, MIN]);
      expect(Array.from((await run(neg, i32([MIN, 5, 0]))).data)).toEqual([MIN, -5, 0]);
      expect(Array.from((await run(abs, i32([MIN, -5, 3]))).data)).toEqual([MIN, 5, 3]);
      expect(Array.from((await run(sign, i32([MIN, 0, 9]))).data)).toEqual([-1, 0, 1]);
    });

    it("truncates division toward zero and gives mod the dividend's sign", async () => {
      const a = i32([7, -7, 7, -7, 6, 0]);
      const b = i32([2, 2, -2, -2, 3, 5]);
      expect(Array.from((await run(div, a, b)).data)).toEqual([3, -3, -3, 3, 2, 0]);
      const c = i32([3, 3, -3, -3, 3, 5]);
      expect(Array.from((await run(mod, a, c)).data)).toEqual([1, -1, 1, -1, 0, 0]);
    });

    it("broadcasts int32 with plain numbers and keeps the dtype", async () => {
      const y = await run((x) => add(mul(x, 3), 1), arg([1, 2, 3, 4, 5, 6], [2, 3], "int32"));
      expect(y.dtype).toBe("int32");
      expect(y.data).toBeInstanceOf(Int32Array);
      expect(Array.from(y.data)).toEqual([4, 7, 10, 13, 16, 19]);
    });

    it("maximum and minimum compare as integers", async () => {
      const a = i32([MIN, 3, -4]);
      const b = i32([MAX, 3, -5]);
      expect(Array.from((await run(maximum, a, b)).data)).toEqual([MAX, 3, -4]);
      expect(Array.from((await run(minimum, a, b)).data)).toEqual([MIN, 3, -5]);
    });

    it("shifts left and logically right", async () => {
      const a = i32([1, 1, -1, -8, 0x12345678, 5]);
      const n = i32([0, 31, 28, 1, 4, 2]);
      expect(Array.from((await run(shiftLeft, a, n)).data)).toEqual([
        1,
        MIN,
        -268435456,
        -16,
        0x23456780,
        20,
      ]);
      expect(Array.from((await run(shiftRightLogical, a, n)).data)).toEqual([
        1, 0, 15, 0x7ffffffc, 0x01234567, 1,
      ]);
    });

    it("does bitwise and, or, xor and not", async () => {
      const av = values(12, 3).map((v) => Math.trunc(v * 7e8));
      const bv = values(12, 4).map((v) => Math.trunc(v * 7e8));
      const a = arg(av, [3, 4], "int32");
      const b = arg(bv.slice(0, 4), [4], "int32");
      const eb = expand(b, [3, 4]);
      expect(Array.from((await run(bitwiseAnd, a, b)).data)).toEqual(av.map((v, i) => v & eb[i]!));
      expect(Array.from((await run(bitwiseOr, a, b)).data)).toEqual(av.map((v, i) => v | eb[i]!));
      expect(Array.from((await run(bitwiseXor, a, b)).data)).toEqual(av.map((v, i) => v ^ eb[i]!));
      expect(Array.from((await run(bitwiseNot, a)).data)).toEqual(av.map((v) => ~v));
    });
  });

  // ---------- bool ----------

  describe("comparisons and logic", () => {
    const CMP: readonly [
      string,
      (a: TensorLike, b: TensorLike) => Tensor,
      (a: number, b: number) => boolean,
    ][] = [
      ["eq", eq, (a, b) => a === b],
      ["ne", ne, (a, b) => a !== b],
      ["lt", lt, (a, b) => a < b],
      ["le", le, (a, b) => a <= b],
      ["gt", gt, (a, b) => a > b],
      ["ge", ge, (a, b) => a >= b],
    ];

    it.each(CMP)(
      "%s gives bool for float32, float64 and int32, with broadcasting",
      async (_n, op, ref) => {
        for (const dtype of ["float32", "float64", "int32"] as const) {
          // Small integers make ties common; NaN compares false except for ne.
          const av = values(6, 5, -2, 2).map(Math.round);
          const bv = [0, 1, -1];
          if (dtype !== "int32") av[5] = NaN;
          const a = arg(av, [2, 3], dtype);
          const b = arg(bv, [3], dtype);
          const y = await run(op, a, b);
          expect(y.dtype).toBe("bool");
          expect(y.shape).toEqual([2, 3]);
          const eb = expand(b, [2, 3]);
          expect(Array.from(y.data)).toEqual(a.values.map((v, i) => (ref(v, eb[i]!) ? 1 : 0)));
        }
      },
    );

    it("compares, combines and negates bools", async () => {
      const a = arg([0, 0, 1, 1], [4], "bool");
      const b = arg([0, 1, 0, 1], [4], "bool");
      expect(Array.from((await run(eq, a, b)).data)).toEqual([1, 0, 0, 1]);
      expect(Array.from((await run(ne, a, b)).data)).toEqual([0, 1, 1, 0]);
      expect(Array.from((await run(bitwiseAnd, a, b)).data)).toEqual([0, 0, 0, 1]);
      expect(Array.from((await run(bitwiseOr, a, b)).data)).toEqual([0, 1, 1, 1]);
      expect(Array.from((await run(bitwiseXor, a, b)).data)).toEqual([0, 1, 1, 0]);
      const n = await run(bitwiseNot, a);
      expect(n.dtype).toBe("bool");
      expect(Array.from(n.data)).toEqual([1, 1, 0, 0]);
    });

    it("selects with broadcasting of all three operands", async () => {
      const c = arg([1, 0], [2, 1], "bool");
      const a = arg([1, 2, 3], [3]);
      const y = await run((ct, at) => select(ct, at, -1), c, a);
      expect(y.shape).toEqual([2, 3]);
      expect(y.dtype).toBe("float32");
      expect(Array.from(y.data)).toEqual([1, 2, 3, -1, -1, -1]);
      const ci = arg([1, 0, 0, 1, 1, 0], [2, 3], "bool");
      const ai = arg([10, 20], [2, 1], "int32");
      const bi = arg([-1, -2, -3], [3], "int32");
      const yi = await run(select, ci, ai, bi);
      expect(yi.dtype).toBe("int32");
      expect(Array.from(yi.data)).toEqual([10, -2, -3, 20, 20, -3]);
    });
  });

  // ---------- cast and iota ----------

  describe("cast", () => {
    it("truncates float to int32 toward zero", async () => {
      for (const dtype of ["float32", "float64"] as const) {
        const x = arg([1.7, -1.7, 2.5, -0.5, 0, 1e3 + 0.25], [6], dtype);
        const y = await run((t) => cast(t, "int32"), x);
        expect(y.dtype).toBe("int32");
        expect(Array.from(y.data)).toEqual([1, -1, 2, 0, 0, 1000]);
      }
    });

    it("maps to bool as != 0 and from bool to 0/1", async () => {
      const b = await run((t) => cast(t, "bool"), arg([0, -0, 0.5, -3, 1e-30], [5]));
      expect(b.dtype).toBe("bool");
      expect(Array.from(b.data)).toEqual([0, 0, 1, 1, 1]);
      const bi = await run((t) => cast(t, "bool"), arg([0, 7, -1], [3], "int32"));
      expect(Array.from(bi.data)).toEqual([0, 1, 1]);
      const f = await run((t) => cast(t, "float32"), arg([1, 0, 1], [3], "bool"));
      expect(f.dtype).toBe("float32");
      expect(Array.from(f.data)).toEqual([1, 0, 1]);
    });

    it("converts between int32 and the float dtypes", async () => {
      const big = 2 ** 24 + 1; // not representable in float32
      const f32 = await run((t) => cast(t, "float32"), arg([big, -3], [2], "int32"));
      expect(Array.from(f32.data)).toEqual([Math.fround(big), -3]);
      const f64 = await run((t) => cast(t, "float64"), arg([big, -3], [2], "int32"));
      expect(Array.from(f64.data)).toEqual([big, -3]);
      const third = await run(
        (t) => cast(cast(t, "float32"), "float64"),
        arg([1 / 3], [1], "float64"),
      );
      expect(third.data[0]).toBe(Math.fround(1 / 3));
    });
  });

  describe("iota", () => {
    const SHAPE = [2, 3, 4];
    const indexRef = (axis: number) =>
      Array.from({ length: numel(SHAPE) }, (_, flat) => {
        let rest = flat;
        const idx = [0, 0, 0];
        for (let a = SHAPE.length - 1; a >= 0; a--) {
          idx[a] = rest % SHAPE[a]!;
          rest = Math.floor(rest / SHAPE[a]!);
        }
        return idx[axis]!;
      });

    it.each([0, 1, 2, -1])("counts along axis %i", async (axis) => {
      const norm = axis < 0 ? axis + SHAPE.length : axis;
      for (const dtype of ["int32", "float32", "float64"] as const) {
        // iota has no inputs; add a dummy input so the traced function has one.
        const y = await run(() => iota(SHAPE, axis, dtype), arg([0], [1]));
        expect(y.dtype).toBe(dtype);
        expect(y.shape).toEqual(SHAPE);
        expect(Array.from(y.data)).toEqual(indexRef(norm));
      }
    });

    it("fuses with arithmetic (an arange scaled and shifted)", async () => {
      const y = await run((x) => add(mul(iota([5], 0, "float32"), x), 1), arg([0.5], [1]));
      expect(Array.from(y.data)).toEqual([1, 1.5, 2, 2.5, 3]);
    });
  });

  // ---------- threefry ----------

  /** Random123's known-answer vectors for Threefry-2x32-20 (first output word): key, counter, x0. */
  const KAT: readonly [number, number, number, number, number][] = [
    [0, 0, 0, 0, 0x6b200159],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc],
    [0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, 0xc4923a9c],
  ];

  describe("threefry", () => {
    it("matches the Random123 known answers, as unsigned or signed words", () => {
      for (const [k0, k1, c0, c1, x0] of KAT) {
        expect(threefry2x32(k0, k1, c0, c1) >>> 0).toBe(x0);
        expect(threefry2x32(k0 | 0, k1 | 0, c0 | 0, c1 | 0) >>> 0).toBe(x0);
        expect(ALU_JS.threefry([k0 | 0, k1 | 0, c0 | 0, c1 | 0], "int32", "int32") >>> 0).toBe(x0);
      }
    });

    it("gives the known answers through a graph, as int32 tensors", async () => {
      const col = (j: number) =>
        arg(
          KAT.map((r) => r[j]!),
          [KAT.length],
          "int32",
        );
      const y = await run((...xs) => prim("threefry", xs), col(0), col(1), col(2), col(3));
      expect(y.dtype).toBe("int32");
      expect(Array.from(y.data, (v) => v >>> 0)).toEqual(KAT.map((r) => r[4]));
    });

    it("changes about half the bits when the counter changes by one", () => {
      let flipped = 0;
      for (let c = 0; c < 64; c++) {
        let d = threefry2x32(42, 7, c, 0) ^ threefry2x32(42, 7, c + 1, 0);
        for (; d !== 0; d &= d - 1) flipped++;
      }
      expect(flipped / 64).toBeGreaterThan(12);
      expect(flipped / 64).toBeLessThan(20);
    });
  });
});
