import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { Graph } from "@loom/graph";
import {
  applyOp,
  dce,
  freezeNode,
  fromJson,
  graphKey,
  inferShapes,
  LoomError,
  makeGraph,
  printDot,
  printText,
  runPasses,
  toJson,
  topoOrder,
  validateGraph,
  validatePass,
} from "@loom/graph";
import { add, exp, input, matmul, mean, reshape, softmax } from "./index";
import { primitives } from "./table";

const mlpGraph = (): Graph => {
  const x = input("x", ["N", 4]);
  const w = input("w", [4, 3]);
  const y = softmax(matmul(x, w));
  return makeGraph({ x, w }, { y, m: mean(y) });
};

describe("graph validation", () => {
  it("accepts graphs built by the ops", () => {
    expect(E.isRight(validateGraph(primitives, mlpGraph()))).toBe(true);
  });

  it("rejects an undeclared input, an unfrozen node and a node whose stored type is wrong", () => {
    const x = input("x", [2]);
    const stray = input("stray", [2]);
    const undeclared = validateGraph(primitives, makeGraph({ x }, { y: add(x, stray) }));
    expect(E.isLeft(undeclared) && undeclared.left.code).toBe("invalid_graph");
    expect(E.isLeft(undeclared) && undeclared.left.message).toMatch(
      /"stray" is used but not declared/,
    );
    const lying = freezeNode("exp", [x], {}, { shape: [3], dtype: "float32" });
    const wrong = validateGraph(primitives, makeGraph({ x }, { y: lying }));
    expect(E.isLeft(wrong) && wrong.left.message).toMatch(
      /stored type f32\[3\] differs from inferred f32\[2\]/,
    );
    const loose = { op: "exp", inputs: [x], attrs: {}, shape: [2], dtype: "float32" } as const;
    const unfrozen = validateGraph(primitives, makeGraph({ x }, { y: loose }));
    expect(E.isLeft(unfrozen) && unfrozen.left.message).toMatch(/not frozen/);
  });

  it("runs between passes and stops the pipeline at the first invalid graph", () => {
    const r = runPasses([inferShapes(primitives, { N: 8 })], mlpGraph(), {
      check: (g) => validateGraph(primitives, g),
    });
    expect(E.isRight(r) && r.right.map((s) => s.name)).toEqual(["input", "infer-shapes"]);
    const x = input("x", [2]);
    const broken = {
      name: "broken",
      run: () =>
        E.right(
          makeGraph({ x }, { y: freezeNode("exp", [x], {}, { shape: [5], dtype: "float32" }) }),
        ),
    };
    const bad = runPasses([broken, validatePass(primitives)], makeGraph({ x }, { y: exp(x) }));
    expect(E.isLeft(bad)).toBe(true);
  });
});

describe("shape inference", () => {
  it("specialises symbolic dims everywhere, attributes included", () => {
    const x = input("x", ["N", 2, 3]);
    const g = makeGraph({ x }, { y: reshape(x, ["N", 6]) });
    const r = inferShapes(primitives, { N: 5 }).run(g);
    expect(E.isRight(r)).toBe(true);
    const s = (r as E.Right<Graph>).right;
    expect(s.inputs["x"]!.shape).toEqual([5, 2, 3]);
    expect(s.outputs["y"]!.shape).toEqual([5, 6]);
    expect(s.outputs["y"]!.attrs["shape"]).toEqual([5, 6]);
  });

  it("fails with the op's LoomError when specialised shapes stop fitting", () => {
    const a = input("a", ["N", 3]);
    const b = input("b", ["M", 3]);
    const g = makeGraph({ a, b }, { y: matmul(a, reshape(b, [3, "M"])) });
    const r = inferShapes(primitives, { N: 2, M: 4 }).run(g);
    expect(E.isRight(r)).toBe(true);
    const bad = applyOp(primitives, "matmul", [a, a]);
    expect(E.isLeft(bad) && bad.left).toBeInstanceOf(LoomError);
    expect(E.isLeft(bad) && bad.left.message).toMatch(
      /matmul: inner dims differ: \[N,3\] x \[N,3\]/,
    );
  });
});

describe("dead-code elimination and printing", () => {
  it("drops outputs and everything only they used", () => {
    const g = mlpGraph();
    const before = topoOrder(g).length;
    const r = dce(["m"]).run(g);
    const after = E.isRight(r) ? topoOrder(r.right).length : -1;
    expect(after).toBeLessThan(before);
    expect(E.isRight(r) && Object.keys(r.right.outputs)).toEqual(["y"]);
  });

  it("round-trips through JSON and prints text and DOT", () => {
    const g = mlpGraph();
    const back = fromJson(primitives, JSON.parse(JSON.stringify(toJson(g))));
    expect(E.isRight(back) && graphKey(back.right)).toBe(graphKey(g));
    const text = printText(g);
    expect(text).toMatch(/^ {2}%\d+ = matmul\(%0, %1\) : f32\[N,3\]$/m);
    expect(text).toMatch(/return \{ y: %\d+, m: %\d+ \}/);
    expect(printDot(g)).toMatch(/^digraph "loom" \{/);
    const forged = {
      ...toJson(g),
      nodes: toJson(g).nodes.map((n, i) => (i === 2 ? { ...n, inputs: [5] } : n)),
    };
    expect(E.isLeft(fromJson(primitives, forged))).toBe(true);
  });
});
