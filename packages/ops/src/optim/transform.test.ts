import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { input } from "../core";
import { hostTensor, isHostTensor } from "../host";
import type { Tree } from "../pytree";
import { flattenTree, mapTree } from "../pytree";
import { adam, adamw } from "./adam";
import { clipByGlobalNorm } from "./clip";
import { rmsprop } from "./rmsprop";
import { scaleByLearningRate } from "./schedules";
import { sgd } from "./sgd";
import type { GradientTransformation } from "./transform";
import { applyUpdates, chain } from "./transform";

const params = {
  dense: { w: hostTensor([1, 2, 3, 4], [2, 2], "float64"), b: hostTensor([5, 6], [2], "float64") },
};
const paths = (t: Tree<unknown>) =>
  flattenTree(t as Tree<never>, (x): x is never => isHostTensor(x)).map((p) => p.path);
const leaves = (t: Tree<unknown>) =>
  flattenTree(t as Tree<never>, (x): x is never => isHostTensor(x)).map(
    (p) => p.leaf as { shape: number[]; dtype: string; data: ArrayLike<number> },
  );
/** Placeholders shaped like a host tree: what a traced training step sees. */
const symbolic = (t: Tree<unknown>, prefix: string): Tree<Tensor> =>
  mapTree<never, Tensor>(
    t as Tree<never>,
    (x): x is never => isHostTensor(x),
    (h: { shape: number[]; dtype: "float64" }, path) =>
      input(`${prefix}.${path}`, h.shape, h.dtype),
  );

describe("optimizer state trees (their paths are checkpoint keys)", () => {
  const cases: [string, GradientTransformation, string[]][] = [
    ["sgd", sgd(0.1), ["step"]],
    ["sgd momentum", sgd(0.1, { momentum: 0.9 }), ["step", "b.dense.w", "b.dense.b"]],
    ["rmsprop", rmsprop(0.1), ["step", "v.dense.w", "v.dense.b"]],
    [
      "rmsprop centered momentum",
      rmsprop(0.1, { centered: true, momentum: 0.9 }),
      ["step", "v.dense.w", "v.dense.b", "gAvg.dense.w", "gAvg.dense.b", "b.dense.w", "b.dense.b"],
    ],
    ["adam", adam(0.1), ["step", "m.dense.w", "m.dense.b", "v.dense.w", "v.dense.b"]],
    ["adamw", adamw(0.1), ["step", "m.dense.w", "m.dense.b", "v.dense.w", "v.dense.b"]],
    ["chain", chain(clipByGlobalNorm(1), scaleByLearningRate(0.1)), ["1.step"]],
  ];
  it.each(cases)(
    "%s: init paths, zeros of the params' dtype, a float32 step at 0",
    (_, opt, want) => {
      const s = opt.init(params);
      expect(paths(s)).toEqual(want);
      for (const l of leaves(s)) {
        expect(Array.from(l.data).every((v) => v === 0)).toBe(true);
        expect(l.dtype).toBe(l.shape.length === 0 ? "float32" : "float64");
      }
    },
  );
  it.each(cases)("%s: update returns a state with the structure of init's", (_, opt) => {
    const s0 = opt.init(params);
    const p = symbolic(params, "p");
    const r = opt.update(symbolic(params, "g"), symbolic(s0, "s"), p);
    expect(
      flattenTree(
        r.state,
        (x): x is Tensor => typeof x === "object" && x !== null && "op" in x,
      ).map((l) => l.path),
    ).toEqual(paths(s0));
    const next = applyUpdates(p, r.updates) as { dense: { w: Tensor } };
    expect(next.dense.w.shape).toEqual([2, 2]);
    expect(next.dense.w.dtype).toBe("float64");
  });
});

describe("errors are LoomErrors naming what to change", () => {
  const p = symbolic(params, "p");
  it("a state of another structure", () => {
    const s = symbolic(adam(0.1).init({ w: hostTensor([1], [1], "float64") }), "s");
    expect(() => adam(0.1).update(p, s, p)).toThrow(/adam: state.m has no leaf "dense.w"/);
  });
  it("a state missing a field", () => {
    expect(() => adam(0.1).update(p, { step: input("s", [], "float32") }, p)).toThrow(
      /no field "m"/,
    );
  });
  it("chain with a non-array state", () => {
    expect(() => chain(clipByGlobalNorm(1)).update(p, {}, p)).toThrow(LoomError);
  });
  it("bad hyperparameters", () => {
    expect(() => sgd(0.1, { nesterov: true })).toThrow(/nesterov momentum needs momentum > 0/);
    expect(() => adam(0.1, { beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => rmsprop(0.1, { eps: -1 })).toThrow(LoomError);
    expect(() => clipByGlobalNorm(0)).toThrow(/maxNorm must be a positive number/);
    expect(() => sgd(Number.NaN)).toThrow(/sgd: the learning rate must be a number >= 0, got NaN/);
    expect(() => adam(-1)).toThrow(LoomError);
  });
});
