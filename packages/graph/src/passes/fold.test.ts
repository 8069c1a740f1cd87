import { describe, expect, it } from "vitest";
import type { Expr } from "../expr";
import { alu, cnst, int } from "../expr";
import { evalExpr } from "./fold";

const load = (input: number, at: Expr, dtype: Expr["dtype"] = "float32"): Expr => ({
  kind: "load",
  input,
  at,
  dtype,
});
const index = (axis: number): Expr => ({ kind: "index", axis, dtype: "int32" });

describe("evalExpr", () => {
  const bufs = [
    [1, 2, 3, 4, 5, 6],
    [10, 20],
    [0, 20],
  ];
  const env = (idx: number[]) => ({ idx, load: (k: number, at: number) => bufs[k]![at]! });

  it("evaluates loads at index arithmetic and ALU ops", () => {
    // out[i, j] = in0[i*3 + j] * in1[i] + 0.5
    const e = alu("add", [
      alu("mul", [
        load(0, alu("add", [alu("mul", [index(0), int(3)]), index(1)])),
        load(1, index(0)),
      ]),
      cnst(0.5, "float32"),
    ]);
    expect(evalExpr(e, env([1, 2]))).toBe(6 * 20 + 0.5);
    expect(evalExpr(e, env([0, 0]))).toBe(10.5);
  });

  it("follows int32 semantics: wrapping, truncating division, casts", () => {
    expect(evalExpr(alu("add", [int(2147483647), int(1)]), env([]))).toBe(-2147483648);
    expect(evalExpr(alu("div", [int(-7), int(2)]), env([]))).toBe(-3);
    expect(evalExpr(alu("cast", [cnst(-2.9, "float32")], "int32"), env([]))).toBe(-2);
  });

  it("reduces in order, and max lets NaN win", () => {
    const sumRow: Expr = {
      kind: "reduce",
      op: "sum",
      vars: [{ id: 0, extent: 3 }],
      body: load(
        0,
        alu("add", [alu("mul", [index(0), int(3)]), { kind: "var", id: 0, dtype: "int32" }]),
      ),
      dtype: "float32",
    };
    expect(evalExpr(sumRow, env([1]))).toBe(15);
    const maxNan = (input: number): Expr => ({
      kind: "reduce",
      op: "max",
      vars: [{ id: 0, extent: 2 }],
      body: alu("div", [cnst(0, "float32"), load(input, { kind: "var", id: 0, dtype: "int32" })]),
      dtype: "float32",
    });
    expect(evalExpr(maxNan(1), env([]))).toBe(0);
    expect(evalExpr(maxNan(2), env([]))).toBeNaN(); // 0/0 first, then 0: NaN stays
  });
});
