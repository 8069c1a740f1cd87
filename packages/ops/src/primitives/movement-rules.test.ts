import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Attrs, DType, LoomErrorCode, OpDef, Shape, TensorType } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { input } from "../core";
import {
  concat as concatApi,
  expandDims,
  flatten,
  flip as flipApi,
  pad as padApi,
} from "../api/movement";
import { reshape as reshapeApi, slice as sliceApi, squeeze, swapAxes } from "../api/movement";
import { transpose as transposeApi } from "../api/movement";
import { argmax, mean, sum } from "../api/reduce";
import { broadcast } from "./broadcast";
import { concat } from "./concat";
import { flip } from "./flip";
import { pad } from "./pad";
import { reduceMax } from "./reduce-max";
import { reduceSum } from "./reduce-sum";
import { reshape } from "./reshape";
import { slice } from "./slice";
import { transpose } from "./transpose";

const t = (shape: Shape, dtype: DType = "float32"): TensorType => ({ shape, dtype });

/** Runs a rule and returns the output shape, failing the test on Left. */
const shapeOf = <A extends Attrs>(def: OpDef<A>, inputs: TensorType[], attrs: A): Shape => {
  const r = def.infer(inputs, attrs);
  if (E.isLeft(r)) throw new Error(`unexpected ${r.left.message}`);
  return r.right.shape;
};

/** The error code a rule returns (undefined on success). */
const codeOf = (
  def: OpDef<never>,
  inputs: TensorType[],
  attrs: unknown,
): LoomErrorCode | undefined => {
  const r = def.infer(inputs, attrs as never);
  if (E.isRight(r)) return undefined;
  expect(r.left).toBeInstanceOf(LoomError);
  expect(r.left.message.startsWith(`${def.name}: `)).toBe(true);
  return r.left.code;
};

/** The LoomError code a public function throws. */
const thrownCode = (f: () => unknown): LoomErrorCode | "none" => {
  try {
    f();
    return "none";
  } catch (e) {
    if (e instanceof LoomError) return e.code;
    throw e;
  }
};

describe("transpose rule", () => {
  it("permutes dims, symbols included", () => {
    expect(shapeOf(transpose, [t([2, 3, 4])], { perm: [2, 0, 1] })).toEqual([4, 2, 3]);
    expect(shapeOf(transpose, [t(["N", 3])], { perm: [1, 0] })).toEqual([3, "N"]);
    expect(shapeOf(transpose, [t([])], { perm: [] })).toEqual([]);
  });
  it.each([[[0, 0]], [[0]], [[0, 1, 2]], [[-1, 0]], [[0.5, 1]], ["01"], [undefined], [[1, 2]]])(
    "rejects perm %j",
    (perm) => expect(codeOf(transpose, [t([2, 3])], { perm })).toBe("invalid_attr"),
  );
  it("wants one input", () => {
    expect(codeOf(transpose, [], { perm: [] })).toBe("invalid_argument");
    expect(codeOf(transpose, [t([1]), t([1])], { perm: [0] })).toBe("invalid_argument");
  });
});

describe("slice rule", () => {
  it("takes ceil((end-begin)/step) elements per axis", () => {
    expect(
      shapeOf(slice, [t([5, 6, 7])], { begin: [1, 0, 2], end: [5, 6, 2], step: [2, 4, 1] }),
    ).toEqual([2, 2, 0]);
    expect(shapeOf(slice, [t([5])], { begin: [0], end: [null], step: [3] })).toEqual([2]);
  });
  it("keeps a symbolic axis whole and slices the others", () => {
    expect(shapeOf(slice, [t(["N", 6])], { begin: [0, 1], end: [null, 5], step: [1, 1] })).toEqual([
      "N",
      4,
    ]);
  });
  it.each([
    [{ begin: [1, 0], end: [null, 6], step: [1, 1] }],
    [{ begin: [0, 0], end: [3, 6], step: [1, 1] }],
    [{ begin: [0, 0], end: [null, 6], step: [2, 1] }],
  ])("needs a concrete size to cut a symbolic axis: %j", (attrs) =>
    expect(codeOf(slice, [t(["N", 6])], attrs)).toBe("unsupported"),
  );
  it.each([
    [{ begin: [3], end: [2], step: [1] }],
    [{ begin: [0], end: [6], step: [1] }],
    [{ begin: [-1], end: [2], step: [1] }],
    [{ begin: [0], end: [2], step: [0] }],
    [{ begin: [0], end: [2], step: [-1] }],
    [{ begin: [0, 0], end: [2, 2], step: [1, 1] }],
    [{ begin: [0], end: ["2"], step: [1] }],
    [{ begin: [0], end: [2] }],
  ])("rejects out-of-range or malformed %j", (attrs) =>
    expect(codeOf(slice, [t([5])], attrs)).toBe("invalid_attr"),
  );
});

describe("pad rule", () => {
  it("adds low and high per axis", () => {
    expect(shapeOf(pad, [t([2, 3])], { low: [1, 0], high: [2, 1], value: 0 })).toEqual([5, 4]);
    expect(shapeOf(pad, [t(["N", 3])], { low: [0, 1], high: [0, 1], value: -1 })).toEqual(["N", 5]);
  });
  it("refuses to pad a symbolic axis", () => {
    expect(codeOf(pad, [t(["N", 3])], { low: [1, 0], high: [0, 0], value: 0 })).toBe("unsupported");
  });
  it.each([
    [{ low: [-1, 0], high: [0, 0], value: 0 }],
    [{ low: [0, 0], high: [0, -2], value: 0 }],
    [{ low: [0], high: [0], value: 0 }],
    [{ low: [0, 0], high: [0, 0], value: "0" }],
    [{ low: [0, 0], high: [0, 0], value: Number.NaN }],
    [{ low: [0.5, 0], high: [0, 0], value: 0 }],
  ])("rejects %j", (attrs) => expect(codeOf(pad, [t([2, 3])], attrs)).toBe("invalid_attr"));
  it("checks the value against the dtype", () => {
    expect(codeOf(pad, [t([2], "int32")], { low: [1], high: [0], value: 0.5 })).toBe(
      "invalid_attr",
    );
    expect(codeOf(pad, [t([2], "bool")], { low: [1], high: [0], value: 2 })).toBe("invalid_attr");
    expect(codeOf(pad, [t([2], "int32")], { low: [1], high: [0], value: -3 })).toBeUndefined();
  });
});

describe("concat rule", () => {
  it("sums the axis and keeps the rest, symbols included", () => {
    expect(shapeOf(concat, [t([2, 3]), t([4, 3]), t([1, 3])], { axis: 0 })).toEqual([7, 3]);
    expect(shapeOf(concat, [t(["N", 3]), t(["N", 2])], { axis: 1 })).toEqual(["N", 5]);
    expect(shapeOf(concat, [t(["N", 3])], { axis: 0 })).toEqual(["N", 3]);
  });
  it("cannot add symbolic sizes", () => {
    expect(codeOf(concat, [t(["N", 3]), t([2, 3])], { axis: 0 })).toBe("unsupported");
  });
  it("names each mismatch", () => {
    expect(codeOf(concat, [t([2, 3]), t([2, 3, 1])], { axis: 0 })).toBe("rank_mismatch");
    expect(codeOf(concat, [t([2, 3]), t([2, 3], "int32")], { axis: 0 })).toBe("dtype_mismatch");
    expect(codeOf(concat, [t([2, 3]), t([2, 4])], { axis: 0 })).toBe("shape_mismatch");
    expect(codeOf(concat, [t(["N", 3]), t(["M", 3])], { axis: 1 })).toBe("shape_mismatch");
    expect(codeOf(concat, [], { axis: 0 })).toBe("invalid_argument");
    expect(codeOf(concat, [t([2, 3])], { axis: 2 })).toBe("invalid_attr");
    expect(codeOf(concat, [t([2, 3])], { axis: -1 })).toBe("invalid_attr");
    expect(codeOf(concat, [t([])], { axis: 0 })).toBe("invalid_attr");
  });
});

describe("flip rule", () => {
  it("keeps the shape, symbols included", () => {
    expect(shapeOf(flip, [t(["N", 3, 4])], { axes: [0, 2] })).toEqual(["N", 3, 4]);
  });
  it.each([[[3]], [[-1]], [[0, 0]], [[1.5]], [null]])("rejects axes %j", (axes) =>
    expect(codeOf(flip, [t([2, 3, 4])], { axes })).toBe("invalid_attr"),
  );
});

describe("reshape and reduce rules", () => {
  it("reshape keeps the element count, symbols included", () => {
    expect(shapeOf(reshape, [t(["N", 2, 3])], { shape: ["N", 6] })).toEqual(["N", 6]);
    expect(codeOf(reshape, [t([2, 3])], { shape: [4, 2] })).toBe("shape_mismatch");
    expect(codeOf(reshape, [t(["N", 3])], { shape: ["M", 3] })).toBe("shape_mismatch");
    expect(codeOf(reshape, [t([2, 3])], { shape: [-1, 6] })).toBe("invalid_attr");
  });
  it("reductions drop or keep axes and reject bad ones", () => {
    expect(shapeOf(reduceSum, [t([2, 3, 4])], { axes: [1], keepdims: true })).toEqual([2, 1, 4]);
    expect(shapeOf(reduceMax, [t(["N", 3, 4])], { axes: [-1, 1], keepdims: false })).toEqual(["N"]);
    for (const axes of [[3], [0, 0], [-4], "0", [0.5]]) {
      expect(codeOf(reduceSum, [t([2, 3, 4])], { axes, keepdims: false })).toBe("invalid_attr");
    }
    expect(codeOf(reduceMax, [t([2], "bool")], { axes: [0], keepdims: false })).toBe(
      "dtype_mismatch",
    );
  });
});

describe("rules never throw on junk attrs", () => {
  const dim = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom("N", "M"));
  const tensorType = fc.record({
    shape: fc.array(dim, { maxLength: 4 }),
    dtype: fc.constantFrom<DType>("float32", "int32", "bool"),
  });
  const junk = fc.oneof(
    fc.anything(),
    fc.array(fc.integer({ min: -3, max: 6 }), { maxLength: 5 }),
    fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(null), fc.string()), {
      maxLength: 5,
    }),
    fc.integer({ min: -3, max: 5 }),
  );
  const attrs = fc.oneof(
    fc.record(
      {
        perm: junk,
        begin: junk,
        end: junk,
        step: junk,
        low: junk,
        high: junk,
        value: junk,
        axis: junk,
        axes: junk,
        keepdims: junk,
        shape: junk,
      },
      { requiredKeys: [] },
    ),
    fc.constant({}),
  );
  const defs = [
    transpose,
    slice,
    pad,
    concat,
    flip,
    reshape,
    broadcast,
    reduceSum,
    reduceMax,
  ] as OpDef<never>[];
  it("returns Either (a LoomError or a type) for random attrs and inputs", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...defs),
        fc.array(tensorType, { maxLength: 3 }),
        attrs,
        (def, inputs, a) => {
          const r = def.infer(inputs, a as never);
          if (E.isLeft(r)) expect(r.left).toBeInstanceOf(LoomError);
          else expect(Array.isArray(r.right.shape)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
  it("movement rules also survive missing attrs", () => {
    for (const def of [transpose, slice, pad, concat, flip] as OpDef<never>[]) {
      for (const a of [undefined, null]) {
        expect(codeOf(def, [t([2, 3])], a)).toBe("invalid_attr");
      }
    }
  });
});

describe("public movement and reduce API", () => {
  const x = input("x", [2, 3, 4]);
  const xn = input("xn", ["N", 3, 4]);
  it("infers -1 in reshape, with symbols", () => {
    expect(reshapeApi(x, [-1, 4]).shape).toEqual([6, 4]);
    expect(reshapeApi(xn, ["N", -1]).shape).toEqual(["N", 12]);
    expect(reshapeApi(xn, [-1, 12]).shape).toEqual(["N", 12]);
    expect(thrownCode(() => reshapeApi(x, [-1, 5]))).toBe("shape_mismatch");
    expect(thrownCode(() => reshapeApi(x, [-1, -1]))).toBe("invalid_argument");
    expect(thrownCode(() => reshapeApi(xn, [-1, 6]))).toBe("unsupported");
    expect(thrownCode(() => reshapeApi(x, [5, 5]))).toBe("shape_mismatch");
  });
  it("builds transposes, swaps, squeezes, expands and flattens", () => {
    expect(transposeApi(x).shape).toEqual([4, 3, 2]);
    expect(transposeApi(x, [0, -1, 1]).shape).toEqual([2, 4, 3]);
    expect(swapAxes(xn, 0, -1).shape).toEqual([4, 3, "N"]);
    expect(expandDims(x, -1).shape).toEqual([2, 3, 4, 1]);
    expect(expandDims(x, 0).shape).toEqual([1, 2, 3, 4]);
    expect(squeeze(expandDims(expandDims(x, 1), -1)).shape).toEqual([2, 3, 4]);
    expect(flatten(xn).shape).toEqual(["N", 12]);
    expect(flatten(x, 0).shape).toEqual([24]);
    expect(flatten(x, -1).shape).toEqual([2, 3, 4]);
    expect(thrownCode(() => flatten(xn, 0))).toBe("unsupported");
    expect(thrownCode(() => transposeApi(x, [0, 1]))).toBe("invalid_argument");
    expect(thrownCode(() => transposeApi(x, [0, 1, 1]))).toBe("invalid_argument");
    expect(thrownCode(() => squeeze(x, 0))).toBe("invalid_argument");
    expect(thrownCode(() => expandDims(x, 5))).toBe("invalid_argument");
  });
  it("normalises NumPy-style slices", () => {
    const s = sliceApi(x, [-1, 1], [undefined, -1], [1, 1]);
    expect(s.shape).toEqual([1, 1, 4]);
    expect(s.attrs).toEqual({ begin: [1, 1, 0], end: [2, 2, 4], step: [1, 1, 1] });
    expect(sliceApi(x, [0, 5]).shape).toEqual([2, 0, 4]);
    expect(sliceApi(x, [-100], [100], [2]).shape).toEqual([1, 3, 4]);
    expect(sliceApi(xn, [0, 1]).shape).toEqual(["N", 2, 4]);
    expect(sliceApi(x, [])).toBe(x);
    expect(thrownCode(() => sliceApi(xn, [1]))).toBe("unsupported");
    expect(thrownCode(() => sliceApi(x, [0], [2], [-1]))).toBe("invalid_argument");
    expect(thrownCode(() => sliceApi(x, [0, 0, 0, 0]))).toBe("invalid_argument");
  });
  it("checks pads, concats and flips", () => {
    expect(padApi(x, 1).shape).toEqual([4, 5, 6]);
    expect(
      padApi(
        xn,
        [
          [0, 0],
          [1, 2],
          [0, 1],
        ],
        3,
      ).shape,
    ).toEqual(["N", 6, 5]);
    expect(thrownCode(() => padApi(x, -1))).toBe("invalid_argument");
    expect(thrownCode(() => padApi(x, [[1, 1]]))).toBe("invalid_argument");
    expect(
      thrownCode(() =>
        padApi(xn, [
          [1, 0],
          [0, 0],
          [0, 0],
        ]),
      ),
    ).toBe("unsupported");
    expect(concatApi([x, x], -1).shape).toEqual([2, 3, 8]);
    expect(concatApi([xn, xn], 1).shape).toEqual(["N", 6, 4]);
    expect(thrownCode(() => concatApi([x, xn], 1))).toBe("shape_mismatch");
    expect(thrownCode(() => concatApi([x, x], 3))).toBe("invalid_argument");
    expect(thrownCode(() => concatApi([], 0))).toBe("invalid_argument");
    expect(flipApi(x, [-1, 0]).attrs).toEqual({ axes: [2, 0] });
    expect(thrownCode(() => flipApi(x, [0, -3]))).toBe("invalid_argument");
  });
  it("reduces over normalised axes", () => {
    expect(sum(x).shape).toEqual([]);
    expect(sum(x, -1, true).shape).toEqual([2, 3, 1]);
    expect(mean(xn, [0, 2]).shape).toEqual([3]);
    expect(argmax(xn, 1).shape).toEqual(["N", 4]);
    expect(argmax(xn, 1).dtype).toBe("int32");
    expect(thrownCode(() => sum(x, [0, -3]))).toBe("invalid_argument");
    expect(thrownCode(() => sum(x, 3))).toBe("invalid_argument");
  });
});
