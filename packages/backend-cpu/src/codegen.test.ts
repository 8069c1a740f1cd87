import { describe, expect, it } from "vitest";
import type { AluOp, DType, Expr, Graph, Plan } from "@loom/graph";
import { ALU_JS, LoomError, lowerFused, orThrow, threefry2x32 } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import {
  add,
  compile,
  exp,
  hostTensor,
  matmul,
  mul,
  pad,
  prim,
  primitives,
  relu,
  softmax,
  sum,
  trace,
  transpose,
} from "@loom/ops";
import { renderKernel, RENDER_JS } from "./codegen";
import { cpuBackend } from "./cpu-backend";

// The JS that codegen emits: it holds no user-supplied string, and every ALU op renders to
// code that computes exactly what ALU_JS (the semantics all backends share) computes.

const HOSTILE = [
  '"); process.exit(1); ("',
  "'); globalThis.pwned = 1; ('",
  "*/ globalThis.pwned = 1; /*",
  "`${globalThis.pwned = 1}`",
  "x\n}); globalThis.pwned = 1; (function(){",
  "__proto__",
];

/** Every generated source of a plan: its expression kernels and library epilogues. */
const sourcesOf = (plan: Plan): string[] =>
  plan.kernels.flatMap((k) =>
    k.kind === "expr"
      ? [renderKernel(k.expr, k.shape, k.inputs.length)]
      : k.epilogue
        ? [renderKernel(k.epilogue.expr, k.shape, k.epilogue.inputs.length + 1)]
        : [],
  );

/** The names generated code may use: keywords, Math, and the renderer's own names. */
const ALLOWED = /^(const|let|for|if|b|tf|o|p|r|Math|[a-z]+|NaN|Infinity|[ixvta]\d+)$/;
const MATH = new Set(Object.getOwnPropertyNames(Math));

const checkSource = (src: string) => {
  expect(src).not.toMatch(/["'`\\]/);
  for (const h of HOSTILE) expect(src).not.toContain(h.trim());
  for (const id of src.match(/[A-Za-z_$][\w$]*/g) ?? []) {
    expect(ALLOWED.test(id) || MATH.has(id), `identifier ${id} in ${src}`).toBe(true);
  }
};

describe("generated source", () => {
  it("holds no graph input names, however hostile", async () => {
    const names = Object.fromEntries(HOSTILE.map((h, i) => [h, i]));
    const specs = Object.fromEntries(HOSTILE.map((h) => [h, { shape: [2, 3] }]));
    const fn = (t: Record<string, Tensor>) => {
      const xs = HOSTILE.map((h) => t[h]!);
      const s = xs.reduce((acc, x) => add(acc, exp(x)));
      return {
        [HOSTILE[0]!]: softmax(s),
        [HOSTILE[1]!]: relu(add(matmul(xs[1]!, transpose(xs[2]!)), 1)),
        [HOSTILE[2]!]: mul(pad(xs[3]!, 1), sum(xs[4]!)),
      };
    };
    const g: Graph = trace(fn as never, specs).graph;
    const plan = orThrow(lowerFused(primitives, g));
    const sources = sourcesOf(plan);
    expect(sources.length).toBeGreaterThan(2);
    sources.forEach(checkSource);

    // And it runs: names reach only the feed and output records, never the code.
    const feeds = Object.fromEntries(
      HOSTILE.map((h) => [
        h,
        hostTensor(
          [1, 2, 3, 4, 5, 6].map((v) => v * (names[h]! + 1)),
          [2, 3],
        ),
      ]),
    );
    const out = (await compile(cpuBackend(), fn as never, specs, { disable: ["simplify"] }).run(
      feeds as never,
    )) as Record<string, { data: Float32Array }>;
    expect(Object.keys(out).sort()).toEqual([HOSTILE[0], HOSTILE[1], HOSTILE[2]].sort());
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
    // Each softmax row sums to 1.
    const sm = Array.from(out[HOSTILE[0]!]!.data);
    expect(sm.slice(0, 3).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  });

  it("refuses a constant that is not a number instead of pasting it into code", () => {
    const bad = prim("constant", [], {
      data: ["1); globalThis.pwned = 1; (1" as unknown as number],
      shape: [],
      dtype: "float32",
    });
    const fn = ({ x }: Record<string, Tensor>) => ({ y: add(x!, bad) });
    const plan = orThrow(lowerFused(primitives, trace(fn as never, { x: { shape: [2] } }).graph));
    expect(() => sourcesOf(plan)).toThrow(LoomError);
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});

const load = (input: number, dtype: DType): Expr => ({
  kind: "load",
  input,
  at: { kind: "index", axis: 0, dtype: "int32" },
  dtype,
});

const FLOATS = [
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  1,
  -1,
  2.5,
  -2.5,
  0.1,
  2 ** 31,
  -(2 ** 31),
  1e-310,
  3.5e38,
];
const INTS = [0, 1, -1, 7, -7, 31, 32, 33, -32, 65536, 2 ** 31 - 1, -(2 ** 31)];
const BOOLS = [0, 1];

type Case = { op: AluOp; dtype: DType; args: number; values: number[]; result?: DType };
type FullCase = Case & { result: DType };

const UNARY_F: AluOp[] = [
  "neg",
  "abs",
  "sign",
  "exp",
  "log",
  "sqrt",
  "recip",
  "sin",
  "cos",
  "tanh",
  "floor",
];
const BINARY_F: AluOp[] = ["add", "sub", "mul", "div", "max", "min", "pow", "mod"];
const COMPARE: AluOp[] = ["eq", "ne", "lt", "le", "gt", "ge"];
const BINARY_I: AluOp[] = [
  ...BINARY_F.filter((o) => o !== "pow"),
  "and",
  "or",
  "xor",
  "shl",
  "shr",
];

const CASE_LIST: Case[] = [
  ...UNARY_F.flatMap((op) =>
    (["float32", "float64"] as const).map((dtype) => ({ op, dtype, args: 1, values: FLOATS })),
  ),
  ...(["neg", "abs", "sign", "not"] as AluOp[]).map((op) => ({
    op,
    dtype: "int32" as DType,
    args: 1,
    values: INTS,
  })),
  { op: "not", dtype: "bool", args: 1, values: BOOLS },
  ...BINARY_F.map((op) => ({ op, dtype: "float32" as DType, args: 2, values: FLOATS })),
  ...BINARY_I.map((op) => ({ op, dtype: "int32" as DType, args: 2, values: INTS })),
  ...(["and", "or", "xor"] as AluOp[]).map((op) => ({
    op,
    dtype: "bool" as DType,
    args: 2,
    values: BOOLS,
  })),
  ...COMPARE.flatMap((op) => [
    { op, dtype: "float32" as DType, args: 2, values: FLOATS, result: "bool" as DType },
    { op, dtype: "int32" as DType, args: 2, values: INTS, result: "bool" as DType },
  ]),
  ...(["int32", "bool", "float32", "float64"] as DType[]).map((to) => ({
    op: "cast" as AluOp,
    dtype: "float64" as DType,
    args: 1,
    values: [...FLOATS, 2 ** 32 + 5, -(2 ** 31) - 1, 1e20, -0.5, 0.99999],
    result: to,
  })),
  ...(["bool", "float32"] as DType[]).map((to) => ({
    op: "cast" as AluOp,
    dtype: "int32" as DType,
    args: 1,
    values: INTS,
    result: to,
  })),
];

const CASES: FullCase[] = CASE_LIST.map((c) => ({ ...c, result: c.result ?? c.dtype }));

/** Every tuple of `values` of length `n`. */
const tuples = (values: readonly number[], n: number): number[][] =>
  n === 0 ? [[]] : tuples(values, n - 1).flatMap((t) => values.map((v) => [...t, v]));

/** Runs a generated kernel of shape [n] over Float64Array inputs, keeping the raw results. */
const runKernel = (expr: Expr, columns: readonly number[][], n: number): Float64Array => {
  const f = new Function("b", "tf", renderKernel(expr, [n], columns.length)) as (
    b: (Float64Array | Float32Array)[],
    tf: typeof threefry2x32,
  ) => void;
  // float32 operands live in float32 buffers, as in a real plan; the output stays wide so the
  // test sees exactly what the kernel computed.
  const out = new Float64Array(n);
  const f32In = expr.kind === "alu" && expr.args.some((a) => a.dtype === "float32");
  f(
    [out, ...columns.map((c) => (f32In ? Float32Array.from(c) : Float64Array.from(c)))],
    threefry2x32,
  );
  return out;
};

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** float32 kernels round after every op (and hold float32 literals): the expected value, rounded likewise. */
const f32 = (v: number, dtype: DType): number => (dtype === "float32" ? Math.fround(v) : v);

describe("RENDER_JS agrees with ALU_JS", () => {
  it.each(CASES)("$op on $dtype -> $result over edge values, read from buffers", (c) => {
    const rows = tuples(c.values, c.args);
    const result = c.result;
    const expr: Expr = {
      kind: "alu",
      op: c.op,
      args: rows[0]!.map((_, k) => load(k, c.dtype)),
      dtype: result,
    };
    const got = runKernel(
      expr,
      rows[0]!.map((_, k) => rows.map((r) => r[k]!)),
      rows.length,
    );
    rows.forEach((r, i) => {
      const want = f32(
        ALU_JS[c.op](
          r.map((x) => f32(x, c.dtype)),
          result,
          c.dtype,
        ),
        result,
      );
      expect(same(got[i]!, want), `${c.op}(${r.join(", ")}): ${got[i]} vs ${want}`).toBe(true);
    });
  });

  it.each(CASES)("$op on $dtype -> $result with literal operands", (c) => {
    // The last operand a literal (the first too for unary ops): how folded constants render.
    for (const raw of c.values) {
      // A float32 literal is the float32 value, as a constant buffer would hold it.
      const v = f32(raw, c.dtype);
      const rows = tuples(c.values, c.args - 1).map((r) => [...r, v]);
      const args: Expr[] = [
        ...rows[0]!.slice(0, -1).map((_, k) => load(k, c.dtype)),
        { kind: "const", value: v, dtype: c.dtype },
      ];
      const expr: Expr = { kind: "alu", op: c.op, args, dtype: c.result };
      const got = runKernel(
        expr,
        args.slice(0, -1).map((_, k) => rows.map((r) => r[k]!)),
        rows.length,
      );
      rows.forEach((r, i) => {
        const want = f32(
          ALU_JS[c.op](
            r.map((x) => f32(x, c.dtype)),
            c.result,
            c.dtype,
          ),
          c.result,
        );
        expect(same(got[i]!, want), `${c.op}(${r.join(", ")}): ${got[i]} vs ${want}`).toBe(true);
      });
    }
  });

  it("where and threefry", () => {
    const rows = tuples([0, 1], 1).flatMap(([c]) => tuples([NaN, -0, 3], 2).map((r) => [c!, ...r]));
    const where: Expr = {
      kind: "alu",
      op: "where",
      args: [load(0, "bool"), load(1, "float32"), load(2, "float32")],
      dtype: "float32",
    };
    const got = runKernel(
      where,
      [0, 1, 2].map((k) => rows.map((r) => r[k]!)),
      rows.length,
    );
    rows.forEach((r, i) => expect(same(got[i]!, ALU_JS.where(r, "float32", "bool"))).toBe(true));

    const keys = tuples([0, 1, -1, 2 ** 31 - 1, -(2 ** 31)], 4).slice(0, 200);
    const tf: Expr = {
      kind: "alu",
      op: "threefry",
      args: [0, 1, 2, 3].map((k) => load(k, "int32")),
      dtype: "int32",
    };
    const bits = runKernel(
      tf,
      [0, 1, 2, 3].map((k) => keys.map((r) => r[k]!)),
      keys.length,
    );
    keys.forEach((r, i) => expect(bits[i]).toBe(ALU_JS.threefry(r, "int32", "int32")));
  });

  it("covers every ALU op", () => {
    const tested = new Set<string>([...CASES.map((c) => c.op), "where", "threefry"]);
    expect(Object.keys(RENDER_JS).filter((op) => !tested.has(op))).toEqual([]);
  });
});
