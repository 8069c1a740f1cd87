import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALU_JS } from "../alu-semantics";
import type { Expr } from "../expr";
import { alu, delinearize, iadd, idiv, imod, imul, int, linearize } from "../expr";
import type { IndexBounds } from "./index-simplify";
import { rangeOf, simplifyIndex } from "./index-simplify";

// simplifyIndex against the expressions it rewrites, evaluated with the ALU semantics every
// backend follows (int32 wrapping included) at every index of small shapes.

const index = (axis: number): Expr => ({ kind: "index", axis, dtype: "int32" });
const loopVar = (id: number): Expr => ({ kind: "var", id, dtype: "int32" });

/** Evaluates an int expression at an output index and loop-variable values. */
const evaluate = (e: Expr, idx: readonly number[], vars: ReadonlyMap<number, number>): number => {
  switch (e.kind) {
    case "const":
      return e.value;
    case "index":
      return idx[e.axis]!;
    case "var":
      return vars.get(e.id)!;
    case "alu":
      return ALU_JS[e.op](
        e.args.map((a) => evaluate(a, idx, vars)),
        e.dtype,
        e.args[0]?.dtype ?? e.dtype,
      );
    default:
      throw new Error(`unexpected ${e.kind} in an index expression`);
  }
};

/** Every multi-index of a shape. */
const allIndices = (shape: readonly number[]): number[][] =>
  shape.reduce<number[][]>(
    (acc, d) => acc.flatMap((i) => Array.from({ length: d }, (_, k) => [...i, k])),
    [[]],
  );

/** True when `e` contains an ALU op of `op`. */
const hasOp = (e: Expr, op: string): boolean =>
  e.kind === "alu" ? e.op === op || e.args.some((a) => hasOp(a, op)) : false;

/** The first index (and variable value) where simplification changes the value, if any. */
const firstDifference = (e: Expr, shape: readonly number[], vars: ReadonlyMap<number, number>) => {
  const simple = simplifyIndex(e, { axes: shape, vars });
  const varValues = [...vars].reduce<Map<number, number>[]>(
    (acc, [id, extent]) =>
      acc.flatMap((m) => Array.from({ length: extent }, (_, k) => new Map([...m, [id, k]]))),
    [new Map()],
  );
  for (const idx of allIndices(shape)) {
    for (const vs of varValues) {
      const [a, b] = [evaluate(e, idx, vs), evaluate(simple, idx, vs)];
      if (a !== b) return { idx, vars: [...vs], original: a, simplified: b, simple };
    }
  }
  return undefined;
};

/** A small deterministic generator, so fast-check shrinks a seed. */
const rng = (seed: number) => {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
};

/** A random shape with `n` elements. */
const factor = (n: number, pick: (k: number) => number): number[] => {
  const out: number[] = [];
  let rest = n;
  for (let i = 0; i < 2 && pick(3) > 0; i++) {
    const ds = Array.from({ length: rest }, (_, k) => k + 1).filter((d) => rest % d === 0);
    const d = ds[pick(ds.length)]!;
    out.push(d);
    rest /= d;
  }
  return [...out, rest];
};

/**
 * The index expression of a chain of views over the output index of `shape`: reshapes
 * (delinearize after linearize), transposes, slices, flips and pads' clamped reads, ending
 * in the flat offset of the last view's input.
 */
const viewChain = (shape: readonly number[], pick: (k: number) => number): Expr => {
  let idx: Expr[] = shape.map((_, a) => index(a));
  let cur = [...shape];
  for (let step = pick(5); step >= 0; step--) {
    const kind = pick(5);
    if (kind === 0) {
      const next = factor(
        cur.reduce((p, d) => p * d, 1),
        pick,
      );
      idx = delinearize(linearize(idx, cur), next);
      cur = next;
    } else if (kind === 1) {
      const perm = cur.map((_, i) => i).sort(() => pick(3) - 1);
      idx = perm.map((p) => idx[p]!);
      cur = perm.map((p) => cur[p]!);
    } else if (kind === 2) {
      // a slice of a bigger source: index begin + step * i
      const begins = cur.map(() => pick(3));
      const steps = cur.map(() => 1 + pick(2));
      idx = idx.map((i, a) => iadd(int(begins[a]!), imul(i, int(steps[a]!))));
      cur = cur.map((d, a) => begins[a]! + steps[a]! * (d - 1) + 1 + pick(2));
    } else if (kind === 3) {
      idx = idx.map((i, a) => alu("sub", [int(cur[a]! - 1), i], "int32"));
    } else {
      // a pad's read: clamp(i - low) into the source
      const lows = cur.map(() => pick(2));
      const src = cur.map((d, a) => Math.max(1, d - lows[a]! - pick(2)));
      idx = idx.map((i, a) =>
        alu(
          "max",
          [
            alu("min", [alu("sub", [i, int(lows[a]!)], "int32"), int(src[a]! - 1)], "int32"),
            int(0),
          ],
          "int32",
        ),
      );
      cur = src;
    }
  }
  return linearize(idx, cur);
};

const CONSTS = [1, 2, 3, 4, 5, 7, 12, 400, 65536, 1 << 30, 2147483647, -1, -3];

/** A random affine-ish int expression: sums, constant multiples, divisions, remainders. */
const affine = (atoms: readonly Expr[], pick: (k: number) => number, depth: number): Expr => {
  if (depth === 0 || pick(4) === 0) {
    const a = atoms[pick(atoms.length)]!;
    return pick(3) === 0 ? int(CONSTS[pick(CONSTS.length)]!) : a;
  }
  const x = affine(atoms, pick, depth - 1);
  const c = CONSTS[pick(CONSTS.length)]!;
  const pos = Math.abs(c) || 1;
  switch (pick(7)) {
    case 0:
      return alu("add", [x, affine(atoms, pick, depth - 1)], "int32");
    case 1:
      return alu("mul", [x, int(c)], "int32");
    case 2:
      return idiv(x, pos);
    case 3:
      return imod(x, pos);
    case 4:
      return alu("add", [x, int(c)], "int32");
    case 5:
      return alu("mul", [int(c), x], "int32");
    default:
      return alu("max", [x, affine(atoms, pick, depth - 1)], "int32");
  }
};

const shapeArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 });

describe("simplifyIndex", () => {
  it("keeps the value of view-chain index expressions at every index", () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), (shape, seed) => {
        const e = viewChain(shape, rng(seed));
        expect(firstDifference(e, shape, new Map())).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the value of affine expressions with divisions, remainders and int32 overflow", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 4 }), fc.nat(), (shape, extent, seed) => {
        const pick = rng(seed);
        const atoms = [...shape.map((_, a) => index(a)), loopVar(0)];
        const e = affine(atoms, pick, 4);
        const diff = firstDifference(e, shape, new Map([[0, extent]]));
        expect(diff, JSON.stringify(e)).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it("collapses a reshape round trip [2,3,4] -> [6,4] -> [2,3,4] to the plain linear index", () => {
    const shape = [2, 3, 4];
    const idx = shape.map((_, a) => index(a));
    const mid = delinearize(linearize(idx, shape), [6, 4]);
    const back = delinearize(linearize(mid, [6, 4]), shape);
    const e = linearize(back, shape);
    expect(hasOp(e, "div") && hasOp(e, "mod")).toBe(true);
    const s = simplifyIndex(e, { axes: shape, vars: new Map() });
    expect(hasOp(s, "div")).toBe(false);
    expect(hasOp(s, "mod")).toBe(false);
    expect(firstDifference(e, shape, new Map())).toBeUndefined();
    const plain = simplifyIndex(linearize(idx, shape), { axes: shape, vars: new Map() });
    expect(s).toEqual(plain);
  });

  it("reads a flatten [2,3,4] -> [2,12] as x0*12 + x1, and (i*400 + j)/400 with j < 400 as i", () => {
    const out = [2, 12];
    const e = linearize(delinearize(linearize([index(0), index(1)], out), [2, 3, 4]), [2, 3, 4]);
    const s = simplifyIndex(e, { axes: out, vars: new Map() });
    expect(hasOp(s, "div") || hasOp(s, "mod")).toBe(false);
    expect(firstDifference(e, out, new Map())).toBeUndefined();

    const q = idiv(iadd(imul(index(0), int(400)), index(1)), 400);
    expect(simplifyIndex(q, { axes: [7, 400], vars: new Map() })).toEqual(index(0));
    const r = imod(iadd(imul(index(0), int(400)), index(1)), 400);
    expect(simplifyIndex(r, { axes: [7, 400], vars: new Map() })).toEqual(index(1));
  });

  it("uses loop-variable bounds inside a reduction", () => {
    const body = idiv(iadd(imul(index(0), int(8)), loopVar(3)), 8);
    const e: Expr = {
      kind: "reduce",
      op: "sum",
      vars: [{ id: 3, extent: 8 }],
      body: { kind: "load", input: 0, at: body, dtype: "float32" },
      dtype: "float32",
    };
    const s = simplifyIndex(e, { axes: [5], vars: new Map() });
    expect(s.kind === "reduce" && s.body.kind === "load" && s.body.at).toEqual(index(0));
  });

  it("does not divide through a sum that wraps past 2^31", () => {
    // (i + 2147483647) / 2 wraps for i >= 1: the quotient must stay a division of the sum.
    const e = idiv(alu("add", [index(0), int(2147483647)], "int32"), 2);
    expect(firstDifference(e, [4], new Map())).toBeUndefined();
    const m = alu(
      "mul",
      [alu("add", [index(0), int(2147483647)], "int32"), int(2147483647)],
      "int32",
    );
    expect(firstDifference(m, [4], new Map())).toBeUndefined();
    const bounds: IndexBounds = { axes: [4], vars: new Map() };
    expect(rangeOf(alu("mul", [index(0), int(1 << 30)], "int32"), bounds)).toEqual([
      -Infinity,
      Infinity,
    ]);
  });
});
