import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { input, isTensor } from "../core";
import { flattenTree } from "../pytree";
import { uniform } from "../random";
import { batchNorm } from "./batch-norm";
import { conv2d } from "./conv";
import { dense } from "./dense";
import { dropout } from "./dropout";
import { heNormal, zeros } from "./initializers";
import { outputSpec } from "./layer";
import { residual, sequential } from "./combinators";
import { flatten, relu } from "./simple";

// What layers do while a graph is built (names, shapes, errors); running them is tested in
// packages/backend-cpu/src/nn.test.ts.

const k = input("key", [2], "int32");

/** The paths and shapes of a tree of graph tensors. */
const shapes = (t: unknown): Record<string, unknown> =>
  Object.fromEntries(
    flattenTree(t as never, isTensor).map(({ path, leaf }) => [path, (leaf as Tensor).shape]),
  );

describe("sequential", () => {
  it("names its children's params by key, and arrays by index", () => {
    const model = sequential({ flatten: flatten(), fc1: dense(16), act1: relu(), fc2: dense(10) });
    const { params, state } = model.init(k, { shape: ["N", 1, 4, 4] });
    expect(shapes(params)).toEqual({
      "fc1.w": [16, 16],
      "fc1.b": [16],
      "fc2.w": [10, 16],
      "fc2.b": [10],
    });
    expect(state).toEqual({ flatten: {}, fc1: {}, act1: {}, fc2: {} });
    const arr = sequential([dense(3), batchNorm()]);
    const v = arr.init(k, { shape: ["N", 5] });
    expect(shapes(v.params)).toEqual({ "0.w": [3, 5], "0.b": [3], "1.gamma": [3], "1.beta": [3] });
    expect(shapes(v.state)).toEqual({ "1.mean": [3], "1.var": [3] });
  });

  it("infers each child's input from the previous output, keeping a symbolic batch", () => {
    const model = sequential({ conv: conv2d(4, 3, { padding: 1 }), flat: flatten(), fc: dense(2) });
    const v = model.init(k, { shape: ["N", 2, 5, 5] });
    expect(shapes(v.params)["fc.w"]).toEqual([2, 100]);
    expect(outputSpec(model, { shape: ["N", 2, 5, 5] }, v.params, v.state).shape).toEqual(["N", 2]);
  });

  it("refuses params that are not an object keyed by child name", () => {
    const model = sequential({ fc: dense(2) });
    const x = input("x", [3, 4]);
    expect(() => model.apply([] as never, {} as never, x, { training: false })).toThrow(LoomError);
  });
});

describe("residual", () => {
  it("keeps block, shortcut and post params under their names", () => {
    const layer = residual(dense(3), dense(3, { bias: false }), relu());
    const v = layer.init(k, { shape: ["N", 3] });
    expect(shapes(v.params)).toEqual({ "block.w": [3, 3], "block.b": [3], "shortcut.w": [3, 3] });
    expect(v.params).toHaveProperty("post", {});
  });
});

describe("argument checks", () => {
  it.each([
    ["dense(0)", () => dense(0)],
    ["dense(1.5)", () => dense(1.5)],
    ["conv2d(4, 0)", () => conv2d(4, 0)],
    ["conv2d(0, 3)", () => conv2d(0, 3)],
    ["dropout(1)", () => dropout(1)],
    ["dropout(-0.1)", () => dropout(-0.1)],
    ["dropout(NaN)", () => dropout(NaN)],
  ])("%s is an invalid_argument LoomError", (_name, make) => {
    expect(make).toThrow(LoomError);
    try {
      make();
    } catch (e) {
      expect((e as LoomError).code).toBe("invalid_argument");
    }
  });

  it("dense needs a concrete last dim; conv2d and batchNorm need concrete channels", () => {
    expect(() => dense(2).init(k, { shape: ["N", "F"] })).toThrow(/concrete last input dim/);
    expect(() => conv2d(2, 3).init(k, { shape: ["N", 3, 5] })).toThrow(/NCHW/);
    // [N, C, L] is BatchNorm1d's sequence input, valid since issue #10; C must be concrete.
    expect(() => batchNorm().init(k, { shape: ["N", "C", 5] })).toThrow(/with concrete C/);
  });

  it("dropout in training needs a key, and is the identity without one at inference or rate 0", () => {
    const x = input("x", [2, 3]);
    expect(() => dropout(0.5).apply({}, {}, x, { training: true })).toThrow(/needs a PRNG key/);
    expect(dropout(0.5).apply({}, {}, x, { training: false }).y).toBe(x);
    expect(dropout(0).apply({}, {}, x, { training: true }).y).toBe(x);
  });

  it("initializers refuse integer parameters", () => {
    expect(() => heNormal(k, [2, 2], { fanIn: 2, fanOut: 2 }, "int32")).toThrow(
      /float32 or float64/,
    );
    // zeros are allowed for any dtype (they need no random numbers).
    expect(zeros(k, [2], { fanIn: 1, fanOut: 2 }, "int32").dtype).toBe("int32");
  });

  it("random shapes may be symbolic only in front", () => {
    expect(uniform(k, ["N", 3]).shape).toEqual(["N", 3]);
    expect(() => uniform(k, [3, "M"])).toThrow(/symbolic dim only in front/);
    expect(() => uniform(input("bad", [3], "int32"), [2])).toThrow(/i32\[2\]/);
  });
});
