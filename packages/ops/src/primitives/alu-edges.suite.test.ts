import { describe, expect, it } from "vitest";
import type { Backend, DType, HostTensor } from "@loom/graph";
import type { Tensor } from "../index";
import { hostTensor } from "../index";
import * as ops from "../index";
import type { Tolerance } from "@loom/testing";
import { ALL_BACKENDS, compareWithReference, describeBackends } from "@loom/testing";

// Every ALU op on every backend (WebGL's RENDER_GLSL, the CPU's generated JS) against the
// reference interpreter's ALU_JS semantics, on the values where GLSL and JS part ways: NaN,
// infinities, -0, int32 overflow, negative integer division, shifts by 32 or more,
// float-to-int casts out of range. Binary ops see every pair ([n,1] x [1,n]).

const F = [
  0,
  -0,
  1,
  -1,
  0.5,
  -2.5,
  3,
  -7,
  1e-3,
  123.456,
  1e30,
  -1e30,
  Infinity,
  -Infinity,
  NaN,
  3e9,
  -3e9,
  2147483520,
  16777216,
  -0.75,
];
const I = [
  0, 1, -1, 2, -7, 7, 31, 32, 33, -32, 2147483647, -2147483648, 123456789, -987654321, 65536, 3,
];
const B = [0, 1];

/** Exact: int32 and bool always are; float32 +, -, *, / and friends are IEEE on SwiftShader. */
const EXACT: Tolerance = { rtol: 0 };

const column = (v: readonly number[], dtype: DType): HostTensor =>
  hostTensor(v, [v.length, 1], dtype);
const row = (v: readonly number[], dtype: DType): HostTensor => hostTensor(v, [1, v.length], dtype);

type Unary = (x: Tensor) => Tensor;
type Binary = (a: Tensor, b: Tensor) => Tensor;
type OpName = keyof typeof ops;

/** `it.each` rows of the ops named `names`, each with its name. */
const named = <F>(names: readonly OpName[]): (readonly [string, F])[] =>
  names.map((n) => [n, ops[n] as unknown as F] as const);

const COMPARISONS: readonly OpName[] = ["eq", "ne", "lt", "le", "gt", "ge"];
const BITWISE: readonly OpName[] = ["bitwiseAnd", "bitwiseOr", "bitwiseXor"];

/** The unary and binary checks of one backend. */
const checksOn = (backend: () => Backend) => {
  const unary = async (
    f: (x: Tensor) => Tensor,
    v: readonly number[],
    dtype: DType,
    tol: Tolerance,
  ) =>
    compareWithReference(
      backend(),
      (({ x }: { x: Tensor }) => ({ y: f(x) })) as never,
      { x: { shape: [v.length], dtype } },
      { x: hostTensor(v, [v.length], dtype) },
      tol,
    );

  const binary = async (
    f: (a: Tensor, b: Tensor) => Tensor,
    v: readonly number[],
    dtype: DType,
    tol: Tolerance,
    w: readonly number[] = v,
  ) =>
    compareWithReference(
      backend(),
      (({ a, b }: { a: Tensor; b: Tensor }) => ({ y: f(a, b) })) as never,
      { a: { shape: [v.length, 1], dtype }, b: { shape: [1, w.length], dtype } },
      { a: column(v, dtype), b: row(w, dtype) },
      tol,
    );

  return { unary, binary };
};

describeBackends(ALL_BACKENDS, (on) => {
  const { unary, binary } = checksOn(on.backend);

  describe("float32 ALU ops", () => {
    it.each(named<Unary>(["neg", "abs", "sign", "floor"]))("%s is exact", async (_, f) => {
      expect(await unary(f, F, "float32", EXACT)).toBeUndefined();
    });

    const arithmetic: OpName[] = ["add", "sub", "mul", "div", "maximum", "minimum"];
    it.each(named<Binary>([...arithmetic, ...COMPARISONS]))(
      "%s is exact on every pair",
      async (_, f) => {
        expect(await binary(f, F, "float32", EXACT)).toBeUndefined();
      },
    );

    // Transcendentals are within a few float32 ulps of JS's double-precision ones (the l_*
    // helpers measure about 1 ulp, 1.2e-7); what must hold exactly is where GLSL is undefined:
    // NaN, infinities, zero, out-of-domain arguments. GPUs flush denormals to zero (SwiftShader
    // does), so no value here is or becomes a denormal.
    const moderate = [...F.filter((v) => Math.abs(v) <= 200 || !Number.isFinite(v)), 1e-30, 5e-5];
    it.each([
      ["exp", ops.exp, moderate.filter((v) => !(Math.abs(v) > 80 && Number.isFinite(v))), 0],
      ["log", ops.log, [...F, 1 + 2 ** -20, 2e-38, 0.999, 3e38], 1],
      ["sqrt", ops.sqrt, [...F, 2e-38, 2], 0],
      ["reciprocal", ops.reciprocal, [...F, 2e-38, 5e37], 0],
      ["sin", ops.sin, [...moderate.filter((v) => Math.abs(v) <= 10), 3.1415927, 1.5], 1],
      ["cos", ops.cos, [...moderate.filter((v) => Math.abs(v) <= 10), 3.1415927, 1.5], 1],
      ["tanh", ops.tanh, [...F, 1e-4, -1e-6, 0.3, 9.5, -10.5, 20], 0],
    ] as const)("%s is within 4e-7 and exact on special values", async (_, f, values, scale) => {
      expect(await unary(f, values, "float32", { rtol: 4e-7, scale })).toBeUndefined();
    });

    it("pow follows Math.pow on special values and signs", async () => {
      const base = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, Infinity, -Infinity, NaN, 10];
      const expo = [0, -0, 1, -1, 2, 3, -3, 0.5, -0.5, 2.5, Infinity, -Infinity, NaN, 10];
      expect(
        await binary(ops.pow, base, "float32", { rtol: 4e-6, scale: 0 }, expo),
      ).toBeUndefined();
    });

    it("mod is the exact truncated remainder with the dividend's sign", async () => {
      const vals = [
        0,
        -0,
        1,
        -1,
        5.5,
        -5.5,
        7,
        -7,
        2,
        0.75,
        1e10,
        -3e30,
        1e-30,
        Infinity,
        -Infinity,
        NaN,
        3,
      ];
      expect(await binary(ops.mod, vals, "float32", EXACT)).toBeUndefined();
    });

    it("select picks by a bool condition", async () => {
      const r = await compareWithReference(
        on.backend(),
        (({ a, b }: { a: Tensor; b: Tensor }) => ({
          y: ops.select(ops.gt(a, b), a, ops.mul(b, 2)),
        })) as never,
        { a: { shape: [F.length, 1] }, b: { shape: [1, F.length] } },
        { a: column(F, "float32"), b: row(F, "float32") },
        EXACT,
      );
      expect(r).toBeUndefined();
    });
  });

  describe("int32 ALU ops (bit-identical)", () => {
    it.each(named<Unary>(["neg", "abs", "sign", "bitwiseNot"]))("%s", async (_, f) => {
      expect(await unary(f, I, "int32", EXACT)).toBeUndefined();
    });

    const integer: OpName[] = ["add", "sub", "mul", "div", "mod", "maximum", "minimum"];
    const shifts: OpName[] = ["shiftLeft", "shiftRightLogical"];
    it.each(named<Binary>([...integer, ...BITWISE, ...shifts, ...COMPARISONS]))(
      "%s on every pair",
      async (_, f) => {
        expect(await binary(f, I, "int32", EXACT)).toBeUndefined();
      },
    );
  });

  describe("bool ALU ops and casts (bit-identical)", () => {
    it.each(named<Binary>([...BITWISE, "eq", "ne"]))("%s on bools", async (_, f) => {
      expect(await binary(f, B, "bool", EXACT)).toBeUndefined();
    });

    it("not on bools", async () => {
      expect(await unary(ops.bitwiseNot, B, "bool", EXACT)).toBeUndefined();
    });

    it.each([
      ["float32", "int32", F],
      ["float32", "bool", F],
      ["int32", "float32", [...I, 16777217, -16777219]],
      ["int32", "bool", I],
      ["bool", "int32", B],
      ["bool", "float32", B],
    ] as const)("cast %s -> %s", async (from, to, values) => {
      expect(await unary((x) => ops.cast(x, to), values, from, EXACT)).toBeUndefined();
    });
  });
});
