import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { Graph, Node, Pass } from "@loom/graph";
import {
  algebraicIdentities,
  cse,
  foldConstants,
  inferShapes,
  makeGraph,
  orThrow,
  simplify,
  topoOrder,
  validateGraph,
} from "@loom/graph";
import { add, cast, div, exp, log, mul, select, sub, gt, iota } from "./api/elementwise";
import { matmul } from "./api/nn";
import { mean, sum } from "./api/reduce";
import { constant, input, prim, scalar } from "./core";
import { primitives } from "./table";

/** A graph whose inputs are the given input nodes, by their names. */
const graphOf = (inputs: readonly Node[], outputs: Record<string, Node>): Graph =>
  makeGraph(Object.fromEntries(inputs.map((n) => [n.attrs["name"] as string, n])), outputs);

/** Runs a pass and checks the result is a valid graph. */
const run = (p: Pass, g: Graph): Graph => {
  const out = orThrow(p.run(g));
  expect(E.isRight(validateGraph(primitives, out))).toBe(true);
  return out;
};

const count = (g: Graph): number => topoOrder(g).length;
const ops = (g: Graph): string[] => topoOrder(g).map((n) => n.op);
const only = (g: Graph): Node => Object.values(g.outputs)[0]!;

describe("algebraicIdentities", () => {
  const ids = algebraicIdentities(primitives);

  it("rewrites x*1+(-0) to x, and keeps a float x+0 (exact only up to the sign of zero)", () => {
    const x = input("x", [2, 3]);
    const kept = run(ids, graphOf([x], { y: add(x, 0) }));
    expect(kept.outputs["y"]!.op).toBe("add");
    const g = graphOf([x], { y: add(mul(x, 1), -0) });
    expect(count(g)).toBe(7); // x, 1, broadcast, mul, 0, broadcast, add
    const s = run(ids, g);
    expect(s.outputs["y"]).toBe(x);
    expect(count(s)).toBe(1);
  });

  it("rewrites 1*x, -0+x, x-0 and x/1 (int32 0+x too) to x", () => {
    const x = input("x", [4]);
    const i = input("i", [4], "int32");
    const g = graphOf([x, i], {
      a: mul(1, x),
      b: add(-0, x),
      c: sub(x, 0),
      d: div(x, 1),
      e: mul(i, 1),
      f: add(0, i),
    });
    const s = run(ids, g);
    expect(Object.values(s.outputs).map((n) => n === x || n === i)).toEqual(Array(6).fill(true));
    expect(s.outputs["e"]).toBe(i);
  });

  it("keeps x*0, 0-x, 1/x and x*2 (x*0 is NaN for infinite x)", () => {
    const x = input("x", [3]);
    const g = graphOf([x], { a: mul(x, 0), b: sub(0, x), c: div(1, x), d: mul(x, 2) });
    const s = run(ids, g);
    expect(s.outputs["a"]!.op).toBe("mul");
    expect(s.outputs["b"]!.op).toBe("sub");
    expect(s.outputs["c"]!.op).toBe("div");
    expect(s.outputs["d"]!.op).toBe("mul");
    expect(count(s)).toBe(count(g));
  });

  it("replaces x*1 by the broadcast x, not by the narrower x under it", () => {
    const x = input("x", [1]);
    const y = mul(prim("broadcast", [x], { shape: [3] }), 1);
    const s = run(ids, graphOf([x], { y }));
    expect(only(s).shape).toEqual([3]);
    expect(only(s).op).toBe("broadcast");
    expect(only(s).inputs[0]).toBe(x);
  });

  it("removes neg(neg(x)), same-dtype casts and select(c, x, x)", () => {
    const x = input("x", [3]);
    const c = gt(x, 0);
    const g = graphOf([x], {
      a: prim("neg", [prim("neg", [x])]),
      b: prim("cast", [x], { dtype: "float32" }),
      c: select(c, x, x),
      d: cast(x, "int32"),
    });
    const s = run(ids, g);
    expect([s.outputs["a"], s.outputs["b"], s.outputs["c"]]).toEqual([x, x, x]);
    expect(s.outputs["c"]).toBe(x);
    expect(s.outputs["d"]!.op).toBe("cast");
  });

  it("picks a branch of a select on a constant condition", () => {
    const x = input("x", [3]);
    const y = input("y", [3]);
    const yes = prim("broadcast", [scalar(1, "bool")], { shape: [3] });
    const no = constant([0, 0, 0], [3], "bool");
    const mixed = constant([1, 0, 1], [3], "bool");
    const g = graphOf([x, y], {
      a: select(yes, x, y),
      b: select(no, x, y),
      c: select(mixed, x, y),
    });
    const s = run(ids, g);
    expect(s.outputs["a"]).toBe(x);
    expect(s.outputs["b"]).toBe(y);
    expect(s.outputs["c"]!.op).toBe("select");
  });

  it("merges reshape and broadcast chains and drops no-op views", () => {
    const x = input("x", [2, 3]);
    const v = input("v", [3]);
    const r = prim("reshape", [prim("reshape", [x], { shape: [6] })], { shape: [3, 2] });
    const back = prim("reshape", [prim("reshape", [x], { shape: [6] })], { shape: [2, 3] });
    const b = prim("broadcast", [prim("broadcast", [v], { shape: [2, 3] })], { shape: [4, 2, 3] });
    const same = prim("broadcast", [x], { shape: [2, 3] });
    const s = run(ids, graphOf([x, v], { r, back, b, same }));
    expect(s.outputs["r"]!.op).toBe("reshape");
    expect(s.outputs["r"]!.inputs[0]).toBe(x);
    expect(s.outputs["r"]!.shape).toEqual([3, 2]);
    expect(s.outputs["back"]).toBe(x);
    expect(s.outputs["b"]!.inputs[0]).toBe(v);
    expect(s.outputs["b"]!.attrs["shape"]).toEqual([4, 2, 3]);
    expect(s.outputs["same"]).toBe(x);
    expect(count(s)).toBe(4); // x, v, one reshape, one broadcast
  });

  it("composes transposes and removes identity ones", () => {
    const x = input("x", [2, 3, 4]);
    const t = (n: Node, perm: number[]) => prim("transpose", [n], { perm });
    const g = graphOf([x], {
      twice: t(t(x, [1, 0, 2]), [1, 0, 2]),
      composed: t(t(x, [1, 2, 0]), [1, 2, 0]),
      id: t(x, [0, 1, 2]),
    });
    const s = run(ids, g);
    expect(s.outputs["twice"]).toBe(x);
    expect(s.outputs["id"]).toBe(x);
    // out[i] = inner[outer[i]]: [1,2,0] after [1,2,0] is [2,0,1], shape [4,2,3].
    expect(s.outputs["composed"]!.attrs["perm"]).toEqual([2, 0, 1]);
    expect(s.outputs["composed"]!.shape).toEqual([4, 2, 3]);
    expect(s.outputs["composed"]!.inputs[0]).toBe(x);
  });

  it("keeps a composed transpose that moves data without changing the shape", () => {
    // [2,1,2] transposed [2,1,0] twice via different perms: same shape, different element order.
    const x = input("x", [2, 1, 2]);
    const t = (n: Node, perm: number[]) => prim("transpose", [n], { perm });
    const s = run(ids, graphOf([x], { y: t(t(x, [1, 0, 2]), [2, 0, 1]) }));
    expect(s.outputs["y"]!.op).toBe("transpose");
    expect(s.outputs["y"]!.attrs["perm"]).toEqual([2, 1, 0]);
    expect(s.outputs["y"]!.inputs[0]).toBe(x);
  });
});

describe("cse", () => {
  it("merges two identical subexpressions and equal constants", () => {
    const x = input("x", [3]);
    const a = add(exp(x), constant([1, 2, 3]));
    const b = add(exp(x), constant([1, 2, 3]));
    const g = graphOf([x], { y: mul(a, b) });
    expect(count(g)).toBe(8);
    const s = run(cse(), g);
    expect(count(s)).toBe(5); // x, exp, constant, add, mul
    const y = only(s);
    expect(y.inputs[0]).toBe(y.inputs[1]);
  });

  it("keeps nodes that differ in attrs, dtype or the sign of a zero constant", () => {
    const x = input("x", [2, 3]);
    const g = graphOf([x], {
      a: sum(x, 0),
      b: sum(x, 1),
      c: constant([0], [1]),
      d: constant([-0], [1]),
      e: constant([0], [1], "int32"),
    });
    const s = run(cse(), g);
    expect(count(s)).toBe(count(g));
  });

  it("never merges graph inputs", () => {
    const x = input("x", [3]);
    const y = input("y", [3]);
    const s = run(cse(), graphOf([x, y], { z: add(x, y) }));
    expect(Object.keys(s.inputs)).toEqual(["x", "y"]);
    expect(only(s).inputs).toEqual([x, y]);
    expect(only(s).inputs[0]).not.toBe(only(s).inputs[1]);
  });
});

describe("foldConstants", () => {
  const fold = foldConstants(primitives);
  const folded = (n: Node) => only(run(fold, graphOf([], { y: n })));

  it("evaluates elementwise ops with float32 rounding", () => {
    const y = folded(exp(constant([0, 1, 2])));
    expect(y.op).toBe("constant");
    expect(y.attrs["data"]).toEqual([1, Math.fround(Math.E), Math.fround(Math.exp(2))]);
  });

  it("rounds constants to float32 before computing, as the kernels read them", () => {
    const f = Math.fround;
    const y = folded(mul(constant([0.1, 0.7]), constant([0.2, 0.7])));
    expect(y.attrs["data"]).toEqual([f(f(0.1) * f(0.2)), f(f(0.7) * f(0.7))]);
    expect(y.attrs["data"]).not.toEqual([f(0.1 * 0.2), f(0.7 * 0.7)]);
  });

  it("keeps int32 and cast semantics exact", () => {
    expect(folded(add(constant([2147483647], [1], "int32"), 1)).attrs["data"]).toEqual([
      -2147483648,
    ]);
    expect(folded(div(constant([7, -7], [2], "int32"), 2)).attrs["data"]).toEqual([3, -3]);
    expect(folded(cast(constant([2.7, -2.7]), "int32")).attrs["data"]).toEqual([2, -2]);
    expect(folded(cast(constant([0, 0.5]), "bool")).attrs["data"]).toEqual([0, 1]);
  });

  it("folds movement ops and reductions", () => {
    const m = constant([1, 2, 3, 4, 5, 6], [2, 3]);
    const t = folded(prim("transpose", [m], { perm: [1, 0] }));
    expect(t.attrs["data"]).toEqual([1, 4, 2, 5, 3, 6]);
    expect(t.shape).toEqual([3, 2]);
    expect(folded(sum(m, 0)).attrs["data"]).toEqual([5, 7, 9]);
    expect(folded(sum(m, 1, true)).attrs["data"]).toEqual([6, 15]);
    expect(
      folded(prim("reduce_max", [m], { axes: [0, 1], keepdims: false })).attrs["data"],
    ).toEqual([6]);
  });

  it("keeps splats splats at any size, and sums them to count * value", () => {
    const big = folded(prim("broadcast", [scalar(0.5)], { shape: [1000, 1000] }));
    expect(big.attrs).toEqual({ data: [0.5], shape: [1000, 1000], dtype: "float32" });
    const n = folded(sum(prim("broadcast", [scalar(1)], { shape: [8, 100] })));
    expect(n.attrs["data"]).toEqual([800]);
    // Summed in order in double, then rounded: exactly what the reference kernel stores.
    let acc = 0;
    for (let i = 0; i < 3; i++) acc += Math.fround(0.1);
    const s = folded(sum(prim("broadcast", [scalar(0.1)], { shape: [3] })));
    expect(s.attrs["data"]).toEqual([Math.fround(acc)]);
  });

  it("leaves library ops, iota, non-finite results and large results alone", () => {
    const a = constant([1, 2, 3, 4], [2, 2]);
    expect(folded(matmul(a, a)).op).toBe("matmul");
    expect(folded(iota([4])).op).toBe("iota");
    expect(folded(log(constant([0, 1]))).op).toBe("log");
    const many = Array.from({ length: 5000 }, (_, i) => i);
    expect(folded(exp(constant(many))).op).toBe("exp");
  });
});

describe("simplify", () => {
  const simp = simplify(primitives);

  it("folds the element count of a mean over a symbolic batch once N is bound", () => {
    const x = input("x", ["N", 10]);
    const g = graphOf([x], { m: mean(x, 0) });
    expect(ops(g)).toContain("broadcast");
    const symbolic = run(simp, g);
    expect(ops(symbolic)).toContain("reduce_sum"); // the count is still a graph while N is unknown
    const bound = run(simp, orThrow(inferShapes(primitives, { N: 8 }).run(g)));
    expect(ops(bound)).toEqual(["input", "reduce_sum", "constant", "div"]);
    const count8 = only(bound).inputs[1]!;
    expect(count8.attrs).toEqual({ data: [8], shape: [10], dtype: "float32" });
  });

  it("runs its sub-passes to a fixpoint", () => {
    // (x*(2-1) + (-0)*1) needs folding before the identities apply.
    const x = input("x", [5]);
    const y = add(mul(x, sub(scalar(2), scalar(1))), mul(scalar(-0), scalar(1)));
    const s = run(simp, graphOf([x], { y }));
    expect(only(s)).toBe(x);
  });

  it("keeps every input and output name, even unused inputs", () => {
    const x = input("x", [2]);
    const unused = input("unused", [7]);
    const s = run(simp, graphOf([x, unused], { p: mul(x, 1), q: exp(x), r: exp(x) }));
    expect(Object.keys(s.inputs)).toEqual(["x", "unused"]);
    expect(s.inputs["unused"]).toBe(unused);
    expect(Object.keys(s.outputs)).toEqual(["p", "q", "r"]);
    expect(s.outputs["p"]).toBe(x);
    expect(s.outputs["q"]).toBe(s.outputs["r"]);
  });

  it("returns the same nodes when there is nothing to do", () => {
    const x = input("x", [3]);
    const g = graphOf([x], { y: exp(x) });
    expect(only(run(simp, g))).toBe(only(g));
  });

  it("lets each sub-pass be switched off", () => {
    const x = input("x", [3]);
    const g = graphOf([x], { a: exp(constant([1, 2, 3])), b: mul(x, 1), c: exp(x), d: exp(x) });
    const noFold = run(simplify(primitives, { disable: ["fold-constants"] }), g);
    expect(noFold.outputs["a"]!.op).toBe("exp");
    expect(noFold.outputs["b"]).toBe(x);
    const noIds = run(simplify(primitives, { disable: ["algebraic-identities"] }), g);
    expect(noIds.outputs["b"]!.op).toBe("mul");
    expect(noIds.outputs["a"]!.op).toBe("constant");
    const noCse = run(simplify(primitives, { disable: ["cse"] }), g);
    expect(noCse.outputs["c"]).not.toBe(noCse.outputs["d"]);
  });
});
