import { describe, expect, it } from "vitest";
import type {
  Expr,
  ExprKernel,
  FusionOptions,
  Graph,
  Kernel,
  LibraryKernel,
  Node,
  Plan,
} from "@loom/graph";
import { lowerFused, lowerUnfused, makeGraph, orThrow } from "@loom/graph";
import {
  add,
  cos,
  exp,
  log,
  maximum,
  mul,
  neg,
  relu,
  sin,
  sqrt,
  sub,
  tanh,
} from "./api/elementwise";
import { concat, flatten, pad, reshape, slice, transpose } from "./api/movement";
import { conv2d, matmul } from "./api/nn";
import { sum } from "./api/reduce";
import { sigmoid } from "./composites/activations";
import { softmax } from "./composites/softmax";
import { constant, input, scalar } from "./core";
import { primitives } from "./table";

// The fusion pass on graphs alone: how many kernels a plan has and what they are, without
// running anything (execution is tested against the reference in backend-cpu).

/** A graph whose inputs are the given input nodes, by their names. */
const graphOf = (inputs: readonly Node[], outputs: Record<string, Node>): Graph =>
  makeGraph(Object.fromEntries(inputs.map((n) => [n.attrs["name"] as string, n])), outputs);

const fuse = (g: Graph, opts: FusionOptions = {}): Plan => orThrow(lowerFused(primitives, g, opts));

const exprKernels = (p: Plan) => p.kernels.filter((k): k is ExprKernel => k.kind === "expr");
const libraryKernels = (p: Plan) =>
  p.kernels.filter((k): k is LibraryKernel => k.kind === "library");

/** Every expression of a kernel (its own, or its epilogue's). */
const exprsOf = (k: Kernel): Expr[] =>
  k.kind === "expr" ? [k.expr] : k.epilogue ? [k.epilogue.expr] : [];

/**
 * How many value (not index) ALU nodes of `op`, or reductions ("reduce:sum", "reduce:max"),
 * a plan evaluates.
 */
const countOps = (p: Plan, op: string): number => {
  const walk = (e: Expr): number => {
    switch (e.kind) {
      case "alu":
        return (
          (e.op === op && e.dtype !== "int32" ? 1 : 0) + e.args.reduce((s, a) => s + walk(a), 0)
        );
      case "load":
        return walk(e.at);
      case "reduce":
        return (`reduce:${e.op}` === op ? 1 : 0) + walk(e.body);
      default:
        return 0;
    }
  };
  return p.kernels.flatMap(exprsOf).reduce((s, e) => s + walk(e), 0);
};

describe("fusion kernel counts", () => {
  it("softmax over the last axis of f32[4,10] is at most 3 kernels: max, sum of exp, normalise", () => {
    const x = input("x", [4, 10]);
    const p = fuse(graphOf([x], { y: softmax(x, -1) }));
    expect(p.kernels.length).toBeLessThanOrEqual(3);
    expect(countOps(p, "reduce:max")).toBe(1);
    expect(countOps(p, "reduce:sum")).toBe(1);
    expect(p.kernels.every((k) => k.kind === "expr")).toBe(true);
    // The last kernel writes the [4,10] output; the two reductions write [4,1] rows.
    expect(p.kernels.map((k) => k.shape)).toEqual([
      [4, 1],
      [4, 1],
      [4, 10],
    ]);
    expect(p.kernels.at(-1)!.out).toBe(p.outputs["y"]);
    // Far fewer than one kernel per node.
    expect(
      orThrow(lowerUnfused(primitives, graphOf([x], { y: softmax(x, -1) }))).kernels.length,
    ).toBeGreaterThan(5);
  });

  it("relu(matmul(a, w) + b) is one library kernel whose epilogue adds b and applies relu", () => {
    const [a, w, b] = [input("a", [8, 5]), input("w", [5, 3]), input("b", [3])];
    const p = fuse(graphOf([a, w, b], { y: relu(add(matmul(a, w), b)) }));
    expect(p.kernels).toHaveLength(1);
    const k = p.kernels[0]! as LibraryKernel;
    expect(k.kind).toBe("library");
    expect(k.call.kind).toBe("matmul");
    expect(k.inputs).toEqual([p.inputs["a"], p.inputs["w"]]);
    expect(k.out).toBe(p.outputs["y"]);
    expect(k.epilogue?.inputs).toEqual([p.inputs["b"]]);
    expect(countOps(p, "add")).toBe(1);
    expect(countOps(p, "max")).toBe(1);
    // Only inputs and the output: no intermediate buffer survives.
    expect(p.buffers).toHaveLength(4);
  });

  it("the epilogue switch keeps the elementwise kernel separate", () => {
    const [a, w, b] = [input("a", [8, 5]), input("w", [5, 3]), input("b", [3])];
    const p = fuse(graphOf([a, w, b], { y: relu(add(matmul(a, w), b)) }), { epilogues: false });
    expect(p.kernels.map((k) => k.kind)).toEqual(["library", "expr"]);
  });

  it("matmul(transpose(a), g) reads a with transA and no transpose kernel; transB likewise", () => {
    const [a, g] = [input("a", [6, 4]), input("g", [6, 3])];
    const p = fuse(graphOf([a, g], { y: matmul(transpose(a), g) }));
    expect(p.kernels).toHaveLength(1);
    const k = p.kernels[0] as LibraryKernel;
    expect(k.call).toEqual({ kind: "matmul", transA: true, transB: false });
    expect(k.inputs).toEqual([p.inputs["a"], p.inputs["g"]]);

    const [c, w] = [input("c", [2, 6, 4]), input("w", [2, 3, 4])];
    const q = fuse(graphOf([c, w], { y: matmul(c, transpose(w, [0, 2, 1])) }));
    expect(q.kernels).toHaveLength(1);
    expect((q.kernels[0] as LibraryKernel).call).toEqual({
      kind: "matmul",
      transA: false,
      transB: true,
    });

    const off = fuse(graphOf([a, g], { y: matmul(transpose(a), g) }), { foldTransposes: false });
    expect(off.kernels.map((x) => x.kind)).toEqual(["expr", "library"]);
  });

  it("a transpose that is not of the last two axes is copied before the matmul", () => {
    const [a, b] = [input("a", [3, 2, 4]), input("b", [2, 4, 5])];
    const p = fuse(graphOf([a, b], { y: matmul(transpose(a, [1, 0, 2]), b) }));
    expect(p.kernels.map((x) => x.kind)).toEqual(["expr", "library"]);
    expect((p.kernels[1] as LibraryKernel).call).toEqual({
      kind: "matmul",
      transA: false,
      transB: false,
    });
  });

  it("pad(x) * 2 is one kernel reading x", () => {
    const x = input("x", [3, 4]);
    const p = fuse(
      graphOf([x], {
        y: mul(
          pad(x, [
            [1, 2],
            [0, 1],
          ]),
          2,
        ),
      }),
    );
    expect(p.kernels).toHaveLength(1);
    expect(p.kernels[0]!.inputs).toEqual([p.inputs["x"]]);
    expect(p.kernels[0]!.shape).toEqual([6, 5]);
    expect(countOps(p, "where")).toBe(1);
  });

  it("flatten before a matmul costs no kernel", () => {
    const [x, w] = [input("x", [2, 3, 4]), input("w", [12, 5])];
    const p = fuse(graphOf([x, w], { y: matmul(flatten(x), w) }));
    expect(p.kernels).toHaveLength(1);
    const k = p.kernels[0] as LibraryKernel;
    expect(k.inputs).toEqual([p.inputs["x"], p.inputs["w"]]);
    expect(k.inputShapes).toEqual([
      [2, 12],
      [12, 5],
    ]);
  });

  it("conv2d + bias + relu, flattened into a dense layer, is two library kernels", () => {
    const [x, k, b, w] = [
      input("x", [2, 1, 6, 6]),
      input("k", [4, 1, 3, 3]),
      input("b", [4]),
      input("w", [64, 10]),
    ];
    const act = relu(add(conv2d(x, k), reshape(b, [1, 4, 1, 1])));
    const p = fuse(graphOf([x, k, b, w], { y: matmul(flatten(act), w) }));
    expect(libraryKernels(p).map((l) => [l.call.kind, l.epilogue !== undefined])).toEqual([
      ["conv2d", true],
      ["matmul", false],
    ]);
    expect(exprKernels(p)).toHaveLength(0);
  });

  it("an elementwise chain of 10 ops is one kernel", () => {
    const [x, y] = [input("x", [5, 7]), input("y", [7])];
    let t = x;
    const ops = [exp, (v: Node) => add(v, y), tanh, sin, neg, (v: Node) => mul(v, 3), cos, sigmoid];
    for (const f of ops) t = f(t);
    t = sqrt(maximum(sub(t, 1), 0));
    const p = fuse(graphOf([x, y], { z: t }));
    expect(p.kernels).toHaveLength(1);
    expect([...p.kernels[0]!.inputs].sort()).toEqual([p.inputs["x"], p.inputs["y"]].sort());
    expect(
      orThrow(lowerUnfused(primitives, graphOf([x, y], { z: t }))).kernels.length,
    ).toBeGreaterThanOrEqual(10);
  });

  it("a reduction's elementwise prologue and a transposed view fuse into its loop", () => {
    const x = input("x", [3, 4]);
    const p = fuse(graphOf([x], { s: sum(exp(transpose(x)), [1]) }));
    expect(p.kernels).toHaveLength(1);
    expect(countOps(p, "reduce:sum")).toBe(1);
    expect(countOps(p, "exp")).toBe(1);
  });

  it("a node used twice is computed once (materialised), a cheap view of a buffer is not", () => {
    const x = input("x", [4, 4]);
    const e = exp(log(x));
    const p = fuse(graphOf([x], { y: add(mul(e, sin(e)), e) }));
    expect(p.kernels).toHaveLength(2);
    expect(countOps(p, "exp")).toBe(1);
    expect(countOps(p, "log")).toBe(1);

    const t = transpose(x);
    const q = fuse(graphOf([x], { y: add(exp(t), sin(t)) }));
    expect(q.kernels).toHaveLength(1);
  });

  it("a concat of a buffer and a computed value used twice computes the value once", () => {
    const [x, y] = [input("x", [2, 3]), input("y", [2, 3])];
    const c = concat([x, exp(y)], 0);
    const p = fuse(graphOf([x, y], { a: mul(c, 2), b: add(c, 1) }));
    expect(countOps(p, "exp")).toBe(1);
  });

  it("nested concats of a shared value stay small (no exponential inlining)", () => {
    const x = input("x", [2]);
    let t: Node = exp(x);
    for (let i = 0; i < 10; i++) t = slice(concat([t, t], 0), [1], [3]);
    const p = fuse(graphOf([x], { y: add(t, 1), z: mul(t, 2) }));
    const size = (e: Expr): number =>
      1 +
      (e.kind === "alu"
        ? e.args.reduce((s, a) => s + size(a), 0)
        : e.kind === "load"
          ? size(e.at)
          : e.kind === "reduce"
            ? size(e.body)
            : 0);
    expect(p.kernels.flatMap(exprsOf).reduce((s, e) => s + size(e), 0)).toBeLessThan(5000);
    expect(countOps(p, "exp")).toBe(1);
  });

  it("outputs that are inputs or constants need no kernel", () => {
    const x = input("x", [3]);
    const p = fuse(
      graphOf([x], { x, c: constant([1, 2, 3], [3]), s: scalar(2), y: add(x, scalar(1)) }),
    );
    expect(p.kernels).toHaveLength(1);
    expect(p.outputs["x"]).toBe(p.inputs["x"]);
    expect(p.buffers[p.outputs["c"]!]!.kind).toBe("constant");
    expect(p.buffers[p.outputs["s"]!]!.kind).toBe("constant");
    // The splat 1 is inlined as a literal, not a buffer.
    expect(p.kernels[0]!.inputs).toEqual([p.inputs["x"]]);
  });
});
