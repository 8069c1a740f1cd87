import { describe, expect, it } from "vitest";
import type { AluOp, Expr } from "../expr";
import { alu, cnst, int } from "../expr";
import type { Dialect, RenderAlu } from "./walk-expr";
import { walkExpr } from "./walk-expr";

// The walker on a toy dialect whose every piece is visible in the output: what is shared,
// where temporaries and loops land, and which hooks the walker calls.

const call =
  (op: string): RenderAlu =>
  (args) =>
    `${op}(${args.join(", ")})`;

const TOY: Dialect = {
  alu: new Proxy({} as Record<AluOp, RenderAlu>, { get: (_, op) => call(String(op)) }),
  after: (code, op) => (op === "exp" ? `round(${code})` : code),
  constant: (value, dtype) => `${value}${dtype === "float32" ? "f" : ""}`,
  index: (axis) => `X${axis}`,
  variable: (id) => `V${id}`,
  load: (input, at) => `in${input}[${at}]`,
  temp: (name, code, dtype) => `${dtype} ${name} := ${code}`,
  reduce: {
    init: (acc, e) => `${acc} := ${e.op}-identity`,
    update: (acc, value, e) => `${acc} := ${e.op}(${acc}, ${value})`,
    loop: (v, extent, body) => `loop ${v} < ${extent} { ${body} }`,
  },
};

const index = (axis: number): Expr => ({ kind: "index", axis, dtype: "int32" });
const loopVar = (id: number): Expr => ({ kind: "var", id, dtype: "int32" });
const load = (input: number, at: Expr): Expr => ({ kind: "load", input, at, dtype: "float32" });

describe("walkExpr", () => {
  it("keeps constants apart that JSON.stringify merges: the infinities, NaN, -0 and 0", () => {
    // x == Infinity and x == -Infinity in one kernel were one temporary (both keyed "null").
    const x = load(0, index(0));
    const eqTo = (v: number) => alu("eq", [x, cnst(v, "float32")], "bool");
    const sum = (vs: number[]) => vs.map(eqTo).reduce((a, b) => alu("add", [a, b], "bool"));
    const got = walkExpr(sum([Infinity, -Infinity, NaN, 0, -0]), TOY);
    // Only the load is shared; each comparison is its own, with its own constant.
    expect(got.stmts).toEqual(["float32 t0 := in0[X0]"]);
    expect(got.value).toBe(
      "add(add(add(add(eq(t0, Infinityf), eq(t0, -Infinityf)), eq(t0, NaNf)), eq(t0, 0f)), eq(t0, 0f))",
    );
  });

  it("computes a subexpression used twice once, and inlines one used once", () => {
    const x = load(0, index(0));
    const e = alu("exp", [x]);
    const got = walkExpr(alu("add", [e, alu("mul", [e, cnst(2, "float32")])]), TOY);
    expect(got.stmts).toEqual(["float32 t0 := round(exp(in0[X0]))"]);
    expect(got.value).toBe("add(t0, mul(t0, 2f))");
    expect(got.locals).toEqual([{ name: "t0", dtype: "float32" }]);
  });

  it("renders a reduction as nested loops, first variable outermost, before its use", () => {
    const at = alu("add", [alu("mul", [loopVar(0), int(3)], "int32"), loopVar(1)], "int32");
    const sum: Expr = {
      kind: "reduce",
      op: "sum",
      vars: [
        { id: 0, extent: 2 },
        { id: 1, extent: 3 },
      ],
      body: load(1, at),
      dtype: "float32",
    };
    const got = walkExpr(alu("div", [sum, sum]), TOY);
    expect(got.stmts).toEqual([
      "a0 := sum-identity",
      "loop V0 < 2 { loop V1 < 3 { a0 := sum(a0, in1[add(mul(V0, 3), V1)]) } }",
    ]);
    expect(got.value).toBe("div(a0, a0)");
  });

  it("scopes a temporary first met in a reduction's body to that body", () => {
    const x = load(0, loopVar(0));
    const sq = alu("mul", [x, x]);
    const max: Expr = {
      kind: "reduce",
      op: "max",
      vars: [{ id: 0, extent: 4 }],
      body: alu("add", [sq, sq]),
      dtype: "float32",
    };
    const got = walkExpr(max, TOY);
    expect(got.stmts).toEqual([
      "a0 := max-identity",
      "loop V0 < 4 { float32 t1 := in0[V0] float32 t2 := mul(t1, t1) a0 := max(a0, add(t2, t2)) }",
    ]);
    expect(got.value).toBe("a0");
    expect(got.locals).toEqual([
      { name: "a0", dtype: "float32" },
      { name: "t1", dtype: "float32" },
      { name: "t2", dtype: "float32" },
      { name: "V0", dtype: "int32" },
    ]);
  });

  it("uses a dialect's known value instead of a loop", () => {
    const empty: Expr = {
      kind: "reduce",
      op: "max",
      vars: [{ id: 0, extent: 0 }],
      body: load(0, loopVar(0)),
      dtype: "int32",
    };
    const dialect: Dialect = { ...TOY, reduce: { ...TOY.reduce, known: () => "ZERO" } };
    expect(walkExpr(empty, dialect)).toMatchObject({ stmts: [], value: "ZERO" });
  });
});
