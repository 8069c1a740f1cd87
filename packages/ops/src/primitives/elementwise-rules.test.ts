// The op table is imported first: primitive modules import `../core`, which needs the table.
import { primitives } from "../table";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type {
  Attrs,
  DType,
  Dim,
  ElementwiseDef,
  Expr,
  LoomErrorCode,
  Node,
  TensorType,
} from "@loom/graph";
import { int, LoomError } from "@loom/graph";
import { buildNode, input, prim } from "../core";
import type { PrimitiveName } from "../table";
import { add, bitwiseAnd, cast, iota, log, lt, mul, select, shiftLeft } from "../api/elementwise";

const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

const t = (shape: Dim[], dtype: DType = "float32"): TensorType => ({ shape, dtype });

/** Runs an op's shape rule directly. */
const infer = (op: PrimitiveName, inputs: TensorType[], attrs: Attrs = {}) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  primitives[op].infer(inputs, attrs as any);

/** The error code of a Left, or "ok". */
const codeOf = (
  op: PrimitiveName,
  inputs: TensorType[],
  attrs: Attrs = {},
): LoomErrorCode | "ok" => {
  const r = infer(op, inputs, attrs);
  return E.isLeft(r) ? r.left.code : "ok";
};

/** The code of the LoomError `f` throws (failing on any other error or on no error). */
const thrownCode = (f: () => unknown): LoomErrorCode => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoomError);
    return (e as LoomError).code;
  }
  return expect.fail("expected a LoomError");
};

type Class = "float" | "numeric" | "any" | "intOrBool" | "int";

/** Which dtypes each elementwise op accepts, restated from the op semantics. */
const UNARY_CLASS: Readonly<Record<string, Class>> = {
  neg: "numeric",
  abs: "numeric",
  sign: "numeric",
  exp: "float",
  log: "float",
  sqrt: "float",
  recip: "float",
  sin: "float",
  cos: "float",
  tanh: "float",
  floor: "float",
  bitwise_not: "intOrBool",
};

const BINARY_CLASS: Readonly<Record<string, Class>> = {
  add: "numeric",
  sub: "numeric",
  mul: "numeric",
  div: "numeric",
  maximum: "numeric",
  minimum: "numeric",
  pow: "float",
  mod: "numeric",
  eq: "any",
  ne: "any",
  lt: "numeric",
  le: "numeric",
  gt: "numeric",
  ge: "numeric",
  bitwise_and: "intOrBool",
  bitwise_or: "intOrBool",
  bitwise_xor: "intOrBool",
  shift_left: "int",
  shift_right_logical: "int",
};

const COMPARE = new Set(["eq", "ne", "lt", "le", "gt", "ge"]);

const accepts = (c: Class, d: DType): boolean =>
  c === "any" ||
  (c === "float" && (d === "float32" || d === "float64")) ||
  (c === "numeric" && d !== "bool") ||
  (c === "intOrBool" && (d === "int32" || d === "bool")) ||
  (c === "int" && d === "int32");

describe("elementwise dtype rules", () => {
  it.each(Object.entries(UNARY_CLASS))("%s accepts exactly its dtype class (%s)", (op, cls) => {
    for (const d of DTYPES) {
      const r = infer(op as PrimitiveName, [t([2, 3], d)]);
      if (accepts(cls, d)) {
        expect(r).toEqual(E.right({ shape: [2, 3], dtype: d }));
      } else {
        expect(codeOf(op as PrimitiveName, [t([2, 3], d)])).toBe("dtype_mismatch");
      }
    }
  });

  it.each(Object.entries(BINARY_CLASS))("%s accepts equal dtypes of its class (%s)", (op, cls) => {
    for (const da of DTYPES) {
      for (const db of DTYPES) {
        const r = infer(op as PrimitiveName, [t(["N", 4], da), t(["N", 4], db)]);
        if (da === db && accepts(cls, da)) {
          expect(r).toEqual(E.right({ shape: ["N", 4], dtype: COMPARE.has(op) ? "bool" : da }));
        } else {
          expect(E.isLeft(r) && r.left.code).toBe("dtype_mismatch");
        }
      }
    }
  });

  it("threefry takes four int32 inputs and gives int32", () => {
    const i = t([5], "int32");
    expect(infer("threefry", [i, i, i, i])).toEqual(E.right({ shape: [5], dtype: "int32" }));
    expect(codeOf("threefry", [i, i, i, t([5])])).toBe("dtype_mismatch");
    expect(codeOf("threefry", [i, i, i])).toBe("invalid_argument");
    expect(codeOf("threefry", [i, i, i, t([4], "int32")])).toBe("shape_mismatch");
  });

  it("throws LoomErrors with codes through the public API, never TypeErrors", () => {
    const f = input("f", [2, 3]);
    const i = input("i", [2, 3], "int32");
    const b = input("b", [2, 3], "bool");
    expect(thrownCode(() => log(i))).toBe("dtype_mismatch");
    expect(thrownCode(() => add(f, i))).toBe("dtype_mismatch");
    expect(thrownCode(() => add(b, b))).toBe("dtype_mismatch");
    expect(thrownCode(() => bitwiseAnd(f, f))).toBe("dtype_mismatch");
    expect(thrownCode(() => shiftLeft(b, b))).toBe("dtype_mismatch");
    expect(thrownCode(() => lt(b, b))).toBe("dtype_mismatch");
    expect(thrownCode(() => mul(f, input("g", [4])))).toBe("shape_mismatch");
    expect(thrownCode(() => prim("add", [f, input("h", [3])]))).toBe("shape_mismatch");
    expect(thrownCode(() => prim("neg", [f, f]))).toBe("invalid_argument");
    expect(thrownCode(() => prim("sub", [f]))).toBe("invalid_argument");
  });
});

describe("select rule", () => {
  const c = t([2, 3], "bool");
  const a = t([2, 3]);
  it("takes a bool cond and two equal-typed branches", () => {
    expect(infer("select", [c, a, a])).toEqual(E.right({ shape: [2, 3], dtype: "float32" }));
    expect(infer("select", [c, t([2, 3], "int32"), t([2, 3], "int32")])).toEqual(
      E.right({ shape: [2, 3], dtype: "int32" }),
    );
  });
  it("rejects bad conds, mixed branches, unequal shapes and wrong arity", () => {
    expect(codeOf("select", [a, a, a])).toBe("dtype_mismatch");
    expect(codeOf("select", [c, a, t([2, 3], "float64")])).toBe("dtype_mismatch");
    expect(codeOf("select", [c, a, t([3])])).toBe("shape_mismatch");
    expect(codeOf("select", [t([3], "bool"), a, a])).toBe("shape_mismatch");
    expect(codeOf("select", [c, a])).toBe("invalid_argument");
    const f = input("f", [2, 3]);
    expect(thrownCode(() => select(f, f, f))).toBe("dtype_mismatch");
    expect(thrownCode(() => select(input("m", [4], "bool"), f, 0))).toBe("shape_mismatch");
  });
  it("selects with the branches' dtype, not the cond's", () => {
    const def = primitives.select as ElementwiseDef<Attrs>;
    const load = (k: number, dtype: DType): Expr => ({ kind: "load", input: k, at: int(0), dtype });
    const e = def.scalar([load(0, "bool"), load(1, "int32"), load(2, "int32")], {
      attrs: {},
      out: t([1], "int32"),
      inputs: [],
      idx: [],
    });
    expect(e.dtype).toBe("int32");
  });
});

describe("cast and iota rules", () => {
  it("cast goes from any dtype to any dtype and validates its attribute", () => {
    for (const from of DTYPES) {
      for (const to of DTYPES) {
        expect(infer("cast", [t(["N"], from)], { dtype: to })).toEqual(
          E.right({ shape: ["N"], dtype: to }),
        );
      }
    }
    expect(codeOf("cast", [t([2])], { dtype: "float16" })).toBe("invalid_attr");
    expect(codeOf("cast", [t([2])], {})).toBe("invalid_attr");
    expect(codeOf("cast", [], { dtype: "int32" })).toBe("invalid_argument");
    expect(thrownCode(() => cast(input("x", [2]), "uint8" as DType))).toBe("invalid_attr");
  });

  it("iota validates shape, axis and dtype", () => {
    expect(infer("iota", [], { shape: [2, "N"], axis: 1, dtype: "float32" })).toEqual(
      E.right({ shape: [2, "N"], dtype: "float32" }),
    );
    expect(infer("iota", [], { shape: [2, 3], axis: -2, dtype: "int32" })).toEqual(
      E.right({ shape: [2, 3], dtype: "int32" }),
    );
    expect(codeOf("iota", [], { shape: [2, 3], axis: 2, dtype: "int32" })).toBe("invalid_attr");
    expect(codeOf("iota", [], { shape: [2, 3], axis: -3, dtype: "int32" })).toBe("invalid_attr");
    expect(codeOf("iota", [], { shape: [2, 3], axis: 0.5, dtype: "int32" })).toBe("invalid_attr");
    expect(codeOf("iota", [], { shape: [], axis: 0, dtype: "int32" })).toBe("invalid_attr");
    expect(codeOf("iota", [], { shape: [2, -1], axis: 0, dtype: "int32" })).toBe("invalid_attr");
    expect(codeOf("iota", [], { shape: [2, 3], axis: 0, dtype: "bool" })).toBe("invalid_attr");
    expect(codeOf("iota", [t([2])], { shape: [2], axis: 0, dtype: "int32" })).toBe(
      "invalid_argument",
    );
    expect(thrownCode(() => iota([3], 1))).toBe("invalid_attr");
  });

  it("never throw on arbitrary attributes", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (shape, axis, dtype) => {
        const attrs = { shape, axis, dtype } as unknown as Attrs;
        expect(() => infer("iota", [], attrs)).not.toThrow();
        expect(() => infer("cast", [t([2])], { dtype } as unknown as Attrs)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});

/** NumPy's broadcasting rule, restated independently: right-aligned, each pair equal or one of them 1. */
const numpyBroadcast = (a: readonly number[], b: readonly number[]): number[] | undefined => {
  const out: number[] = [];
  for (let i = 1; i <= Math.max(a.length, b.length); i++) {
    const da = i <= a.length ? a[a.length - i]! : 1;
    const db = i <= b.length ? b[b.length - i]! : 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.unshift(da === 1 ? db : da);
  }
  return out;
};

describe("broadcasting in the public API", () => {
  const shape = fc.array(fc.constantFrom(0, 1, 2, 3), { maxLength: 4 });
  it("add(x, y) succeeds exactly when NumPy broadcasts, with NumPy's shape", () => {
    fc.assert(
      fc.property(shape, shape, (sa, sb) => {
        const expected = numpyBroadcast(sa, sb);
        const build = () => add(input("x", sa), input("y", sb));
        if (expected === undefined) {
          expect(thrownCode(build)).toBe("shape_mismatch");
        } else {
          const z = build();
          expect(z.shape).toEqual(expected);
          expect(z.op).toBe("add");
          expect(z.inputs.every((i) => i.shape.join() === expected.join())).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("VJP rules build well-typed cotangents", () => {
  const ops: readonly [PrimitiveName, number][] = [
    ...(
      ["neg", "abs", "sign", "exp", "log", "sqrt", "recip", "sin", "cos", "tanh", "floor"] as const
    ).map((op) => [op, 1] as [PrimitiveName, number]),
    ...(["add", "sub", "mul", "div", "maximum", "minimum", "pow", "mod"] as const).map(
      (op) => [op, 2] as [PrimitiveName, number],
    ),
  ];

  it.each(ops)("%s gives one cotangent per input of the input's type", (op, arity) => {
    for (const dtype of ["float32", "float64"] as const) {
      const xs: Node[] = Array.from({ length: arity }, (_, i) => input(`x${i}`, [2, "N"], dtype));
      const out = prim(op, xs);
      const ct = input("ct", out.shape, out.dtype);
      const cts = primitives[op].vjp({ prim: buildNode, inputs: xs, out, ct, attrs: {} as never });
      expect(cts).toHaveLength(arity);
      for (const g of cts) {
        expect(g).toBeDefined();
        expect(g!.shape).toEqual(out.shape);
        expect(g!.dtype).toBe(dtype);
      }
    }
  });

  // add (the example primitive) is linear and passes the cotangent through for any dtype.
  it("gives no cotangent to integer inputs", () => {
    for (const [op, arity] of ops.filter(
      ([o]) => o !== "add" && (UNARY_CLASS[o] === "numeric" || BINARY_CLASS[o] === "numeric"),
    )) {
      const xs = Array.from({ length: arity }, (_, i) => input(`x${i}`, [3], "int32"));
      const out = prim(op, xs);
      expect(
        primitives[op]
          .vjp({ prim: buildNode, inputs: xs, out, ct: out, attrs: {} as never })
          .filter(Boolean),
      ).toEqual([]);
    }
  });

  it("select, cast, comparisons and threefry", () => {
    const c = input("c", [3], "bool");
    const a = input("a", [3]);
    const b = input("b", [3]);
    const s = prim("select", [c, a, b]);
    const [gc, ga, gb] = primitives.select.vjp({
      prim: buildNode,
      inputs: [c, a, b],
      out: s,
      ct: s,
      attrs: {},
    });
    expect(gc).toBeUndefined();
    expect([ga?.shape, ga?.dtype, gb?.shape, gb?.dtype]).toEqual([[3], "float32", [3], "float32"]);

    // cast's VJP for a cast of x to `dtype`: the cotangent is the cast's own output.
    const castVjp = (x: Node, dtype: "float64" | "float32" | "int32") => {
      const out = prim("cast", [x], { dtype });
      return primitives.cast.vjp({ prim: buildNode, inputs: [x], out, ct: out, attrs: { dtype } });
    };
    expect(castVjp(a, "float64")[0]?.dtype).toBe("float32");
    expect(castVjp(a, "int32")).toEqual([undefined]);
    expect(castVjp(prim("cast", [a], { dtype: "int32" }), "float32")).toEqual([undefined]);

    const l = prim("lt", [a, b]);
    expect(
      primitives.lt.vjp({ prim: buildNode, inputs: [a, b], out: l, ct: l, attrs: {} }),
    ).toEqual([undefined, undefined]);
    const k = input("k", [3], "int32");
    const r = prim("threefry", [k, k, k, k]);
    expect(
      primitives.threefry.vjp({ prim: buildNode, inputs: [k, k, k, k], out: r, ct: r, attrs: {} }),
    ).toEqual(Array(4).fill(undefined));
  });
});
